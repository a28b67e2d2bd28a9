package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cronflow/cronflow/queries/store/words"
	"github.com/cronflow/cronflow/sqlcgen"
)

// The readers of a job's fields, each adding its problem by field name.

// MaxChannels bounds the channels a job alerts and the channel list; an installation has a handful.
const MaxChannels = 500

// maxAlertAfter bounds a job's alerts.after.
const maxAlertAfter = 1000

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
	if len(channels) > MaxChannels {
		problems["alerts.channels"] = fmt.Sprintf("must list at most %d channels", MaxChannels)
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
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	if len(missing) > 0 {
		problems["alerts.channels"] = "names channels that do not exist: " + strings.Join(missing, ", ")
	}
}

// hasNUL reports whether any string in a JSON value holds a NUL character, which PostgreSQL's
// text cannot store and no task needs.
func hasNUL(raw json.RawMessage) bool {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, 0)
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range v {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func orDefault(raw json.RawMessage, def string) json.RawMessage {
	if !present(raw) {
		return json.RawMessage(def)
	}
	return raw
}

// intField reads a whole number given as a JSON number or a numeric string.
func intField(problems map[string]string, field string, raw json.RawMessage, lo, hi int) (int, bool) {
	text := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if !present(raw) {
		problems[field] = "is required"
		return 0, false
	}
	if err != nil || n < lo || n > hi {
		problems[field] = fmt.Sprintf("must be a whole number from %d to %d", lo, hi)
		return 0, false
	}
	return n, true
}

// durationField reads a duration given as a Go duration string ("2s", "1m30s") or a number of seconds.
func durationField(problems map[string]string, field string, raw json.RawMessage, lo, hi time.Duration) time.Duration {
	var d time.Duration
	var s string
	var secs float64
	var err error
	switch {
	case json.Unmarshal(raw, &s) == nil:
		if secs, err = strconv.ParseFloat(s, 64); err == nil {
			d = time.Duration(secs * float64(time.Second))
		} else {
			d, err = time.ParseDuration(strings.TrimSpace(s))
		}
	case json.Unmarshal(raw, &secs) == nil:
		d = time.Duration(secs * float64(time.Second))
	default:
		err = fmt.Errorf("not a duration")
	}
	if err != nil || d < lo || d > hi || d%time.Millisecond != 0 {
		problems[field] = fmt.Sprintf("must be a duration from %s to %s, such as 30s or 5m", words.Duration(lo), words.Duration(hi))
		return 0
	}
	return d
}

// choiceField reads one of a few words; empty means the first.
func choiceField(problems map[string]string, field, value string, choices ...string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		return choices[0]
	}
	if !slices.Contains(choices, value) {
		problems[field] = "must be " + strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
	}
	return value
}

// alertChannelsLiteral is a job's alert channels as an array literal ('{1,2}'), the form in which
// the import's batch statements take each job's list.
func alertChannelsLiteral(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// FieldTypeProblem turns a JSON value of the wrong type for a field into a problem with that
// field; any other error gives none.
func FieldTypeProblem(err error) map[string]string {
	var wrongType *json.UnmarshalTypeError
	if errors.As(err, &wrongType) && wrongType.Field != "" {
		return map[string]string{wrongType.Field: "must be a JSON " + jsonKind(wrongType.Type.Kind().String())}
	}
	return nil
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}
