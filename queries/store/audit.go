package store

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"strings"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// FieldChange is one field's value before and after a change; null is "not there".
type FieldChange struct {
	From json.RawMessage `json:"from"`
	To   json.RawMessage `json:"to"`
}

// jobEntry is the audit entry of a change to a job, from before to after (nil when it did not
// exist, or no longer does).
func jobEntry(action string, before, after *sqlcgen.Job) Entry {
	j := after
	if j == nil {
		j = before
	}
	return Entry{Action: action, Subject: j.Name, JobID: &j.ID, Changes: JobChanges(before, after)}
}

// newValue is the change of a field that was not there before an action made it: a run's id.
func newValue(v any) FieldChange {
	raw, _ := json.Marshal(v) // numbers and lists of them: it cannot fail
	return FieldChange{From: orNull(nil), To: raw}
}

// JobChanges lists the fields that differ between two versions of a job. Values are compared as
// stored and shown masked (see task.Mask), so that a changed secret shows as a change without
// showing the secret. Only a payload holds secrets, so only a changed payload field is masked.
func JobChanges(before, after *sqlcgen.Job) map[string]FieldChange {
	return maskedChanges(jobFields(before), jobFields(after), payloadPrefix, func() (from, to map[string]json.RawMessage) {
		return maskedPayload(before), maskedPayload(after)
	})
}

// maskedChanges lists the fields that differ between two versions of something, compared as
// stored. A changed field whose name starts with prefix is shown as the masked versions have it;
// masked is called once, and only if such a field changed.
func maskedChanges(from, to map[string]json.RawMessage, prefix string, masked func() (from, to map[string]json.RawMessage)) map[string]FieldChange {
	changes := diffFields(from, to)
	var shownFrom, shownTo map[string]json.RawMessage
	shown := false
	for name := range changes {
		if strings.HasPrefix(name, prefix) {
			if !shown {
				shownFrom, shownTo = masked()
				shown = true
			}
			changes[name] = FieldChange{From: orNull(shownFrom[name]), To: orNull(shownTo[name])}
		}
	}
	return changes
}

// diffFields lists the fields whose values differ between two versions of something.
func diffFields(from, to map[string]json.RawMessage) map[string]FieldChange {
	changes := map[string]FieldChange{}
	for _, name := range unionKeys(from, to) {
		if !sameJSON(from[name], to[name]) {
			changes[name] = FieldChange{From: orNull(from[name]), To: orNull(to[name])}
		}
	}
	return changes
}

// payloadPrefix starts the names of a payload's fields in the audit log's changes.
const payloadPrefix = "payload."

// jobFields is a job as the audit log compares it: its export fields as JSON values, the payload
// and the alerts field by field ("payload.url", "alerts.after"). A nil job has none.
func jobFields(j *sqlcgen.Job) map[string]json.RawMessage {
	fields := map[string]json.RawMessage{}
	if j == nil {
		return fields
	}
	raw, _ := json.Marshal(ToExportJob(*j))
	_ = json.Unmarshal(raw, &fields)
	for _, name := range []string{"payload", "alerts"} {
		if sub := subFields(name, fields[name]); sub != nil {
			delete(fields, name)
			maps.Copy(fields, sub)
		}
	}
	return fields
}

// maskedPayload is a job's payload fields as lists show them, secrets masked.
func maskedPayload(j *sqlcgen.Job) map[string]json.RawMessage {
	if j == nil {
		return nil
	}
	return subFields("payload", task.Mask(j.Type, j.Payload))
}

// subFields are the fields of a job's object field (its payload, its alerts), each named
// "<name>.<field>"; nil if the value is no object.
func subFields(name string, value json.RawMessage) map[string]json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(value, &fields) != nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		out[name+"."+k] = v
	}
	return out
}

func unionKeys(a, b map[string]json.RawMessage) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// sameJSON reports whether two JSON texts hold the same value, whatever their spacing.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) || len(a) == 0 || len(b) == 0 {
		return bytes.Equal(a, b) // a field that is not there is not the same as any value
	}
	var x, y any
	decode := func(raw json.RawMessage, v *any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		return d.Decode(v)
	}
	if decode(a, &x) != nil || decode(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// jsonString is s as a JSON value.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
