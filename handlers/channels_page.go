package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/notify"
)

// maxDeliveries is how many of a channel's notices its page shows.
const maxDeliveries = 50

// channelFormFrom reads the channel form with every type's settings; channelFormInput then maps
// the chosen type's settings through the type's own mapping, so that the form and the API accept
// the same channels.
func channelFormFrom(get func(string) string) views.ChannelFormValues {
	v := views.ChannelFormValues{Name: get("name"), Type: strings.TrimSpace(get("type")), Default: get("default") == "true",
		Config: map[string]string{}}
	for _, t := range notify.Types() {
		for _, f := range t.Fields {
			v.Config[f.Name] = get(f.Name)
		}
	}
	return v
}

// channelFormInput maps the form's values onto the API's input.
func channelFormInput(v views.ChannelFormValues) channelInput {
	in := channelInput{Name: v.Name, Type: v.Type, Default: v.Default}
	if t, ok := notify.Lookup(v.Type); ok {
		in.Config, _ = json.Marshal(t.FormConfigFunc(v.Config))
	}
	return in
}

// channelFormView is the form as the template shows it.
func channelFormView(action, submit string, v views.ChannelFormValues, problems map[string]string) views.ChannelForm {
	types := notify.Types()
	f := views.ChannelForm{Action: action, Submit: submit, Values: v, Errors: problems}
	for _, t := range types {
		ct := views.ChannelType{Name: t.Name, Label: t.Label}
		for _, field := range t.Fields {
			ct.Fields = append(ct.Fields, views.TaskField{Name: field.Name, Label: field.Label, Input: field.Input, Hint: field.Hint})
		}
		f.Types = append(f.Types, ct)
	}
	if f.Values.Type == "" {
		f.Values.Type = types[0].Name
	}
	return f
}

// storedChannelForm fills the form with a stored channel.
func storedChannelForm(ch sqlcgen.Channel) views.ChannelFormValues {
	v := views.ChannelFormValues{Name: ch.Name, Type: ch.Type, Default: ch.IsDefault, Config: map[string]string{}}
	if t, ok := notify.Lookup(ch.Type); ok {
		v.Config = t.FormValuesFunc(ch.Config)
	}
	return v
}

// toChannelRow is a channel as lists show it, secrets masked.
func toChannelRow(ch sqlcgen.Channel) views.ChannelRow {
	label := ch.Type
	if t, ok := notify.Lookup(ch.Type); ok {
		label = t.Label
	}
	return views.ChannelRow{ID: ch.ID, Name: ch.Name, TypeLabel: label, Summary: notify.Summary(ch.Type, ch.Config), Default: ch.IsDefault}
}

// handleChannelsPage serves GET /channels: every channel, and the form for a new one.
func handleChannelsPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		return renderChannels(c, q, http.StatusOK, views.ChannelFormValues{Config: map[string]string{}}, nil)
	}
}

func renderChannels(c echo.Context, q *sqlcgen.Queries, status int, v views.ChannelFormValues, problems map[string]string) error {
	channels, err := q.ChannelList(c.Request().Context(), store.MaxChannels)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	rows := make([]views.ChannelRow, len(channels))
	for i, ch := range channels {
		rows[i] = toChannelRow(ch)
	}
	form := channelFormView("/channels", "Add channel", v, problems)
	return render(c, status, views.ChannelsPage(newPage(c, "Channels", "channels"), rows, form))
}

// handleChannelCreate serves POST /channels, the new channel form: 422 with its problems, or on to
// the channel's page.
func handleChannelCreate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := channelFormFrom(c.FormValue)
		spec, problems := channelFormInput(v).Valid()
		if len(problems) > 0 {
			return renderChannels(c, q, http.StatusUnprocessableEntity, v, notify.FormProblems(v.Type, problems))
		}
		ch, err := st.CreateChannel(c.Request().Context(), auditActor(c), spec)
		if err != nil {
			return err
		}
		return redirectAfter(c, fmt.Sprintf("/channels/%d", ch.ID), "Added the channel “"+ch.Name+"”. Send it a test notice to see that it works.")
	}
}

// handleChannelPage serves GET /channels/{id}: the channel, its recent deliveries, and its form.
func handleChannelPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		ch, err := pathChannel(c, q)
		if err != nil {
			return err
		}
		return renderChannel(c, q, http.StatusOK, ch, storedChannelForm(ch), nil)
	}
}

func renderChannel(c echo.Context, q *sqlcgen.Queries, status int, ch sqlcgen.Channel, v views.ChannelFormValues, problems map[string]string) error {
	notices, err := channelDeliveries(c.Request().Context(), q, ch.ID)
	if err != nil {
		return err
	}
	form := channelFormView(fmt.Sprintf("/channels/%d", ch.ID), "Save channel", v, problems)
	return render(c, status, views.ChannelPage(newPage(c, ch.Name, "channels"), toChannelRow(ch), notices, form))
}

// channelDeliveries are a channel's latest notices as its page lists them.
func channelDeliveries(ctx context.Context, q *sqlcgen.Queries, id int64) ([]views.NoticeRow, error) {
	rows, err := q.NoticeListByChannel(ctx, sqlcgen.NoticeListByChannelParams{ChannelID: id, MaxRows: maxDeliveries})
	if err != nil {
		return nil, fmt.Errorf("list deliveries of channel %d: %w", id, err)
	}
	now := time.Now()
	out := make([]views.NoticeRow, len(rows))
	for i, n := range rows {
		out[i] = views.NoticeRow{ID: n.ID, JobName: n.JobName, Event: n.Event, Status: n.Status, Attempts: n.Attempts,
			Created: views.NewMoment(&n.CreatedAt, now, nil), Sent: views.NewMoment(n.SentAt, now, nil),
			RetryAt: views.NewMoment(n.NextAttemptAt, now, nil), Error: n.Error}
		if n.JobID != nil {
			out[i].JobID = *n.JobID
		}
		if n.RunID != nil {
			out[i].RunID = *n.RunID
		}
	}
	return out, nil
}

// handleChannelUpdate serves POST /channels/{id}, the channel's form.
func handleChannelUpdate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		ch, err := pathChannel(c, q)
		if err != nil {
			return err
		}
		v := channelFormFrom(c.FormValue)
		spec, problems := channelFormInput(v).Valid()
		if len(problems) > 0 {
			return renderChannel(c, q, http.StatusUnprocessableEntity, ch, v, notify.FormProblems(v.Type, problems))
		}
		if _, err := st.UpdateChannel(c.Request().Context(), auditActor(c), ch.ID, spec); err != nil {
			return err
		}
		return redirectAfter(c, fmt.Sprintf("/channels/%d", ch.ID), "Saved the channel “"+spec.Name+"”.")
	}
}

// handleChannelTest serves POST /channels/{id}/test: a test notice now, and the channel's page
// with what came of it.
func handleChannelTest(q *sqlcgen.Queries, tester ChannelTester) echo.HandlerFunc {
	return func(c echo.Context) error {
		n, err := sendTest(c, q, tester)
		if err != nil {
			return err
		}
		msg := "The test notice was sent."
		if n.Status != "sent" {
			msg = "The test notice failed: " + clip(n.Error, 300)
		}
		return redirectAfter(c, fmt.Sprintf("/channels/%d", n.ChannelID), msg)
	}
}

// handleChannelDelete serves POST /channels/{id}/delete.
func handleChannelDelete(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		ch, err := st.DeleteChannel(c.Request().Context(), auditActor(c), id)
		if err != nil {
			return err
		}
		return redirectAfter(c, "/channels", "Deleted the channel “"+ch.Name+"”; no job alerts it any more.")
	}
}
