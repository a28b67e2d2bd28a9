package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// alertsJSON is a job's alerts as the API shows and takes them: the channels told, and after how
// many failed runs in a row.
type alertsJSON struct {
	Channels []int64 `json:"channels"`
	After    int32   `json:"after"`
	// On names the events the channels hear: failing, recovered, skipped, missed, paused (issue 21).
	On []string `json:"on,omitempty"`
	// Repeat and FlapWindow are the alert rules (issue 22): durations, null when off.
	Repeat     *string `json:"repeat"`
	FlapWindow *string `json:"flap_window"`
}

// toAlertsJSON is a job's alerts as the API shows them.
func toAlertsJSON(j sqlcgen.Job) alertsJSON {
	return alertsJSON{Channels: j.AlertChannels, After: j.AlertAfter, On: j.AlertOn,
		Repeat: store.AlertRuleText(j.AlertRepeatMs), FlapWindow: store.AlertRuleText(j.AlertFlapWindowMs)}
}

// withFormAlertRules adds the job form's alert rules (issue 22) to its alerts, as typed, so that
// their problems are the API's; an empty field is off.
func withFormAlertRules(alerts json.RawMessage, repeat, flapWindow string) json.RawMessage {
	var fields map[string]any
	if json.Unmarshal(alerts, &fields) != nil {
		return alerts
	}
	fields["repeat"], fields["flap_window"] = strings.TrimSpace(repeat), strings.TrimSpace(flapWindow)
	raw, _ := json.Marshal(fields)
	return raw
}

// ruleWords is an alert rule in milliseconds in words for the job's page ("1 hour"), or empty when off.
func ruleWords(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return views.DurationWords(time.Duration(ms) * time.Millisecond)
}

// ruleInput is an alert rule in milliseconds as the job form shows it: "1h", or empty when off.
func ruleInput(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return views.DurationInput(time.Duration(ms) * time.Millisecond)
}

// formAlerts is the job form's alerts as the API's: the ticked channels and the threshold.
func formAlerts(channels []string, after string, problems map[string]string) json.RawMessage {
	in := alertsJSON{Channels: []int64{}, After: 1}
	for _, v := range channels {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			problems["alerts.channels"] = "must be channels from the list"
			continue
		}
		in.Channels = append(in.Channels, id)
	}
	raw, _ := json.Marshal(in)
	if strings.TrimSpace(after) != "" {
		// The threshold goes as typed, so that its problem is the API's.
		raw, _ = json.Marshal(map[string]any{"channels": in.Channels, "after": strings.TrimSpace(after)})
	}
	return raw
}

// withAlerts fills the job form's alerts with every channel to choose from. A fresh form (a new
// job) starts with the default channels ticked.
func withAlerts(ctx context.Context, q *sqlcgen.Queries, view views.JobForm, fresh bool) (views.JobForm, error) {
	channels, err := q.ChannelList(ctx, store.MaxChannels)
	if err != nil {
		return view, fmt.Errorf("list channels: %w", err)
	}
	a := views.AlertForm{Chosen: map[string]bool{}, After: view.Values.AlertAfter, Errors: view.Errors,
		Repeat: view.Values.AlertRepeat, FlapWindow: view.Values.AlertFlapWindow}
	a.On, a.OnChosen = alertOnOptions, map[string]bool{}
	for _, e := range view.Values.AlertOn {
		a.OnChosen[e] = true
	}
	for _, ch := range channels {
		id := itoa64(ch.ID)
		a.Channels = append(a.Channels, views.Option{Value: id, Label: ch.Name})
		a.Chosen[id] = slices.Contains(view.Values.AlertChannels, id) || (fresh && ch.IsDefault)
	}
	if a.After == "" {
		a.After = "1"
	}
	view.Alerts = a
	return view, nil
}

// alertChannelValues are a job's alert channels as the form's values.
func alertChannelValues(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = itoa64(id)
	}
	return out
}

// alertOnOptions are the events a job's alerts may hear, as the form's boxes, in the API's order
// (store.AlertEvents).
var alertOnOptions = []views.Option{
	{Value: "failing", Label: "it starts failing"}, {Value: "recovered", Label: "it recovers"},
	{Value: "skipped", Label: "a slot is skipped"}, {Value: "missed", Label: "a slot is missed"},
	{Value: "paused", Label: "it pauses itself"},
}

// withFormAlertsOn adds the job form's ticked events to its alerts as alerts.on, as posted, so
// that their problems are the API's. A post without the boxes (shown false) leaves alerts.on out,
// which keeps a job's events (or gives a new job the default ones).
func withFormAlertsOn(alerts json.RawMessage, on []string, shown bool) json.RawMessage {
	var fields map[string]any
	if !shown || json.Unmarshal(alerts, &fields) != nil {
		return alerts
	}
	if on == nil {
		on = []string{}
	}
	fields["on"] = on
	raw, _ := json.Marshal(fields)
	return raw
}

// alertOnWords are a job's alerts.on for its page's alert line, or empty for the default events
// (failing and recovered), which the line's words already tell.
func alertOnWords(on []string) string {
	if slices.Equal(on, []string{"failing", "recovered"}) {
		return ""
	}
	if len(on) == 0 {
		return "none"
	}
	return strings.Join(on, ", ")
}
