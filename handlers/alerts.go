package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// maxAlertAfter bounds a job's alerts.after.
const maxAlertAfter = 1000

// alertsJSON is a job's alerts as the API shows and takes them: the channels told, and after how
// many failed runs in a row.
type alertsJSON struct {
	Channels []int64 `json:"channels"`
	After    int32   `json:"after"`
}

// alertsInput is alerts as a client sends them; after is kept raw to report a wrong type on its
// field.
type alertsInput struct {
	Channels []int64         `json:"channels"`
	After    json.RawMessage `json:"after"`
}

// readAlerts checks a job's alerts as given. Alerts not given at all come back as nil channels and
// no after, which JobInsert reads as "the default channels, after 1" and JobUpdate as "as they are".
func readAlerts(raw json.RawMessage, problems map[string]string) ([]int64, pgtype.Int4) {
	if !present(raw) {
		return nil, pgtype.Int4{}
	}
	var in alertsInput
	if err := json.Unmarshal(raw, &in); err != nil {
		problems["alerts"] = `must be an object such as {"channels": [1], "after": 3}, with channel ids`
		return nil, pgtype.Int4{}
	}
	channels := []int64{}
	for _, id := range in.Channels {
		if id <= 0 {
			problems["alerts.channels"] = "must list channel ids"
		} else if !slices.Contains(channels, id) {
			channels = append(channels, id)
		}
	}
	if len(channels) > maxChannels {
		problems["alerts.channels"] = fmt.Sprintf("must list at most %d channels", maxChannels)
	}
	after, ok := intField(problems, "alerts.after", orDefault(in.After, "1"), 1, maxAlertAfter)
	return channels, pgtype.Int4{Int32: int32(after), Valid: ok}
}

// checkAlertChannels adds a problem if any of a job's alert channels does not exist.
func checkAlertChannels(ctx context.Context, q *sqlcgen.Queries, ids []int64, problems map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := q.ChannelListIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("check alert channels: %w", err)
	}
	missingChannels(ids, found, problems)
	return nil
}

// missingChannels adds a problem if any of a job's alert channels is not among those found.
func missingChannels(ids, found []int64, problems map[string]string) {
	var missing []string
	for _, id := range ids {
		if !slices.Contains(found, id) {
			missing = append(missing, itoa64(id))
		}
	}
	if len(missing) > 0 {
		problems["alerts.channels"] = "names channels that do not exist: " + strings.Join(missing, ", ")
	}
}

// alertChannelsLiteral is a job's alert channels as an array literal ('{1,2}'), the form in which
// the import's batch statements take each job's list.
func alertChannelsLiteral(ids []int64) string {
	return "{" + strings.Join(alertChannelValues(ids), ",") + "}"
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
	channels, err := q.ChannelList(ctx, maxChannels)
	if err != nil {
		return view, fmt.Errorf("list channels: %w", err)
	}
	a := views.AlertForm{Chosen: map[string]bool{}, After: view.Values.AlertAfter, Errors: view.Errors}
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
