// Package task knows every kind of task a job can run. Each task type is one file that registers
// one Type: its name and label, its payload and how it is checked, executed, summed up, masked,
// named and edited in a form. Callers iterate the registry instead of switching on a type's name,
// so adding a task type means adding one file.
package task

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Task is one attempt of one run, as an executor sees it.
type Task struct {
	RunID       int64
	JobID       int64
	JobName     string
	Attempt     int
	ScheduledAt time.Time
	Payload     json.RawMessage
	// IdempotencyKey is the same on every attempt of a run and differs between runs, so that a target
	// can tell a retry from a new occurrence.
	IdempotencyKey string
	// SigningSecret keys the signature of a signed webhook ("whsec_…").
	SigningSecret string
	// PreviousSigningSecret, during a rotation's overlap, is the secret being replaced: a signed
	// request carries a signature by each, so receivers that know either accept it.
	PreviousSigningSecret string
	// Secrets are the values of the secrets the payload names, by name, for its templates. The
	// executor masks every one of them in what the attempt returns.
	Secrets map[string]string
	// Literal says that the payload's content (an email's subject and body, a Slack message, a
	// webhook's body) is data to send as it is, not templates: a notice is built from job names and
	// run errors that anyone, a failing target included, may have written. URLs are filled in.
	Literal bool
	// Params are the run's parameters, its job's defaults with what a Run now overrode, for
	// {{params.NAME}}; Trigger is the upstream run of a run made after another job's run, for
	// {{trigger.run.id}}, {{trigger.job.id}} and {{trigger.run.status}} (issue 21).
	Params  map[string]string
	Trigger *Trigger
	// Exchange, if set, is filled in by the executor with what the attempt sent and got back, for
	// the run's page (issue 27); notices and test sends leave it nil and capture nothing.
	Exchange *Exchange
}

// Trigger is the run of another job that a run was made after.
type Trigger struct {
	RunID, JobID int64
	Status       string
}

// ExecuteFunc performs one attempt of a task. It returns what the run should show as its output,
// and an error if the attempt failed. It must return when ctx is done.
type ExecuteFunc func(ctx context.Context, t Task) (output string, err error)

// Env is what executors are built with: the HTTP client every HTTP task shares, and the SMTP server.
type Env struct {
	HTTP *http.Client
	Mail MailConfig
}

// Field is one input of a task type in the dashboard's form. Name is the form field's name and the
// key of its problems ("payload.url"); Input is "text", "url", "textarea", "select" (one of
// Options), "checkbox" (its value is "true" when ticked) or "headers" (rows of a name and a value,
// named by HeaderRowNames).
type Field struct {
	Name, Label, Input, Hint string
	Options                  []string
}

// Setting is one line of a job's settings on its page, secrets masked. Code settings are shown
// as they are, in a monospace block.
type Setting struct {
	Label, Value string
	Code         bool
}

// Type is everything Cronflow knows about one kind of task. Every function takes the payload as
// stored, which its ValidateFunc produced.
type Type struct {
	// Name is what jobs store and the API takes; Label is what people read, such as Ping a URL.
	Name, Label string
	// Order places the type in the dashboard's list of types.
	Order int
	// Fields are the form's inputs for this type.
	Fields []Field
	// ValidateFunc checks a payload and returns it as it will be stored (normalised), or problems
	// keyed by field name ("payload.url").
	ValidateFunc func(payload json.RawMessage) (json.RawMessage, map[string]string)
	// ExecutorFunc builds the executor of this type's tasks.
	ExecutorFunc func(env Env) ExecuteFunc
	// SummaryFunc says in one line what a job does, secrets masked, for lists.
	SummaryFunc func(payload json.RawMessage) string
	// SettingsFunc lists the job's settings for its page, secrets masked.
	SettingsFunc func(payload json.RawMessage) []Setting
	// SignedFunc, if set, reports whether the job's requests are signed with its signing secret,
	// which its page and its API answer then show.
	SignedFunc func(payload json.RawMessage) bool
	// DefaultNameFunc names a job whose author gave it no name, after what it does.
	DefaultNameFunc func(payload json.RawMessage) string
	// MaskedFields are the payload's string fields that hold secrets, with how to mask each.
	MaskedFields map[string]func(string) string
	// MaskFieldsFunc, if set, masks what MaskedFields cannot: secrets inside the payload's objects,
	// such as credentials among its headers.
	MaskFieldsFunc func(fields map[string]json.RawMessage)
	// FormValuesFunc fills the form's fields, which hold text only, from a stored payload.
	FormValuesFunc func(payload json.RawMessage) map[string]string
	// FormPayloadFunc builds the payload to validate from the form's fields, and adds the problems
	// only a form can have (text that should be JSON) to problems.
	FormPayloadFunc func(values, problems map[string]string) any
}

// registry holds every task type, by name. Each type's file registers it in its init.
var registry = map[string]Type{}

func register(t Type) { registry[t.Name] = t }

// Lookup returns the task type of that name.
func Lookup(name string) (Type, bool) {
	t, ok := registry[name]
	return t, ok
}

// Types returns every task type in the dashboard's order.
func Types() []Type {
	types := make([]Type, 0, len(registry))
	for _, t := range registry {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b Type) int { return a.Order - b.Order })
	return types
}

// Signed reports whether a job of this type and payload signs its requests.
func Signed(taskType string, payload json.RawMessage) bool {
	t, ok := registry[taskType]
	return ok && t.SignedFunc != nil && t.SignedFunc(payload)
}

// Names returns the names of the task types, sorted, as problems list them.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Validate checks a payload for a task type. An unknown type is reported on the "type" field.
func Validate(taskType string, payload json.RawMessage) (json.RawMessage, map[string]string) {
	t, ok := registry[taskType]
	if !ok {
		return nil, map[string]string{"type": fmt.Sprintf("must be one of %v", Names())}
	}
	if len(payload) == 0 || string(payload) == "null" {
		return nil, map[string]string{"payload": "is required"}
	}
	return t.ValidateFunc(payload)
}

// FormFields returns the form fields of every task type, each name once, so that a form post can
// be read whatever type it was filled in for.
func FormFields() []string {
	var names []string
	for _, t := range Types() {
		for _, f := range t.Fields {
			for _, name := range formNames(f) {
				if !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
		}
	}
	return names
}

// formNames are the form fields an input posts: one, or two per row of a headers input.
func formNames(f Field) []string {
	if f.Input != "headers" {
		return []string{f.Name}
	}
	names := make([]string, 0, 2*MaxHeaderRows)
	for i := range MaxHeaderRows {
		name, value := HeaderRowNames(f.Name, i)
		names = append(names, name, value)
	}
	return names
}

// decode reads a stored payload. A stored payload was validated, so a payload that does not decode
// gives the zero value instead of an error.
func decode[P any](payload json.RawMessage) P {
	var p P
	_ = json.Unmarshal(payload, &p)
	return p
}

// given reads a payload as a job's author sent it, for validation; a payload that is not an
// object of the type's fields is a problem on "payload", and a field the type does not have one on
// that field ("payload.methd"), as the API names unknown fields (issue 21): a misspelt setting must
// not be dropped in silence.
func given[P any](payload json.RawMessage) (P, map[string]string) {
	var p P
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if name, found := strings.CutPrefix(fmt.Sprint(err), "json: unknown field "); found && err != nil {
		name, _ = strconv.Unquote(name)
		return p, map[string]string{"payload." + name: "is not a known field"}
	}
	if err != nil {
		return p, map[string]string{"payload": "must be a JSON object"}
	}
	return p, nil
}

// payloadOf reads the stored payload of a task about to be executed.
func payloadOf[P any](t Task, taskType string) (P, error) {
	var p P
	if err := json.Unmarshal(t.Payload, &p); err != nil {
		return p, fmt.Errorf("decode %s payload: %w", taskType, err)
	}
	return p, nil
}

// store encodes a validated payload for storing.
func store(p any) (json.RawMessage, map[string]string) {
	out, err := json.Marshal(p)
	if err != nil {
		return nil, map[string]string{"payload": "cannot be stored: " + err.Error()}
	}
	return out, nil
}

// Clip shortens s to at most n characters, marking the cut, to keep a line of a page short.
func Clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Storable shortens s to at most n bytes without splitting a character, marking the cut, and
// replaces what PostgreSQL's text cannot hold (invalid UTF-8, NUL), so that any output or error,
// whatever a target or mail server sent, can be recorded.
func Storable(s string, n int) string {
	suffix := ""
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, suffix = s[:n], "…(truncated)"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD") + suffix
}
