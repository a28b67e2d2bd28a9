package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// The job form's jitter and windows (issue 21): text fields that map onto the API's fields, so the
// form and the API accept the same values and word their problems the same way.

// windowFormValues are a stored job's jitter, start, end and blackouts as the form shows them.
func windowFormValues(j sqlcgen.Job) (jitter, startAt, endAt, blackouts string) {
	if j.JitterMs > 0 {
		jitter = views.DurationInput(time.Duration(j.JitterMs) * time.Millisecond)
	}
	var lines []string
	for _, b := range store.JobBlackouts(j) {
		lines = append(lines, formTime(&b.From)+" "+formTime(&b.To))
	}
	return jitter, formTime(j.StartAt), formTime(j.EndAt), strings.Join(lines, "\n")
}

// formTime writes a time as the form's fields take it: RFC 3339 in UTC, or "" for none.
func formTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// formBlackouts reads the blackouts field, one "from to" range a line, into the API's list; a line
// that is not two times is a problem only the form can have. Whether the times are valid is the
// store's to say, as for the API.
func formBlackouts(text string, problems map[string]string) json.RawMessage {
	type rng struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	var out []rng
	n := 0
	for line := range strings.Lines(text) {
		n++
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) != 2:
			problems["blackouts"] = fmt.Sprintf("has line %d that is not two times, from and to, separated by a space", n)
			return nil
		}
		out = append(out, rng{From: fields[0], To: fields[1]})
	}
	if out == nil {
		return nil
	}
	raw, _ := json.Marshal(out)
	return raw
}
