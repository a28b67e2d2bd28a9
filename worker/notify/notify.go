// Package notify knows every kind of notification channel (email, Slack, webhook, and the chat,
// paging and push services of settings.go's channel types) and what a notice says. A channel type
// is one file that registers one Type: its name, its settings and how they are checked and masked,
// and the task or the request that delivers a notice to it. Delivery goes through package task's
// executor, so a notice is sent by the same SMTP and HTTP code as a job, with the same limits and
// the same refusal of private addresses. Nothing here talks to the network itself.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

// The events a notice tells of.
const (
	Failing   = "job.failing"
	Recovered = "job.recovered"
	Test      = "channel.test"
	// Skipped tells of a slot a job's overlap policy did not run, Paused of a job that paused
	// itself after failing pause_after_failures runs in a row (issue 21).
	Skipped = "job.skipped"
	Paused  = "job.paused"
	// Missed tells of a slot the catch-up recorded as missed (its job's catchup policy did not run it).
	Missed = "job.missed"
)

// Event is what a notice says, and the JSON body a webhook channel receives. It is stored with the
// notice when the notice is made; the links (Job.URL, RunURL) are added when it is sent, from the
// public URL of that moment.
type Event struct {
	Event               string    `json:"event"`
	Job                 *EventJob `json:"job,omitempty"`
	Run                 *EventRun `json:"run,omitempty"`
	ConsecutiveFailures int32     `json:"consecutive_failures"`
	At                  time.Time `json:"at"`
	// Channel names the channel a test notice was sent to.
	Channel string `json:"channel,omitempty"`
	// Episode counts the times the job started failing; a failing notice and the recovered notice
	// that ends it share one, so that a pager can resolve the incident it opened.
	Episode int64 `json:"episode,omitempty"`
	// Message, if set, says what a notice of another event than failing or recovered is about
	// (a skipped slot, a job that paused itself); every channel type shows it as it is.
	Message string `json:"message,omitempty"`
	// Reminder numbers a failing notice sent again while the job keeps failing (1, 2, …); the first
	// failing notice of an episode has none. Repeat says, in words, how often reminders follow
	// ("1 hour"), if the job's alerts ask for them.
	Reminder int32  `json:"reminder,omitempty"`
	Repeat   string `json:"repeat,omitempty"`
}

// EventJob is the job a notice is about.
type EventJob struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// EventRun is the run that made the job fail or recover.
type EventRun struct {
	ID          int64     `json:"id"`
	Status      string    `json:"status"`
	Error       string    `json:"error"`
	ScheduledAt time.Time `json:"scheduled_at"`
	url         string
}

// Field is one setting of a channel type in the dashboard's form; Name is the form field's name and
// the key of its problems ("config.url"). Key, if set, is the setting's name in the stored settings
// and the API's problems ("config.url" for the form field "discord.url"): form fields are unique
// across types, since the form holds every type's fields at once.
type Field struct {
	Name, Label, Input, Hint string
	Key                      string
}

// Type is everything Cronflow knows about one kind of channel.
type Type struct {
	// Name is what channels store and the API takes; Label is what people read.
	Name, Label string
	// Order places the type in the dashboard's list of types.
	Order int
	// Fields are the form's inputs for this type.
	Fields []Field
	// TaskType is the task type that delivers a notice.
	TaskType string
	// Sample is a task payload for TaskType that lacks only the channel's settings, used to check
	// the settings with the task type's own validation.
	Sample map[string]any
	// PayloadFunc builds the task payload that delivers e to a channel with these settings.
	PayloadFunc func(config json.RawMessage, e Event, signing []string) any
	// RequestFunc, instead of TaskType and PayloadFunc, builds the one HTTP request that delivers
	// e; key is the notice's idempotency key. SecretsFunc names the settings' secrets, masked in
	// what the service answers.
	RequestFunc func(config json.RawMessage, e Event, key string) task.Request
	SecretsFunc func(config json.RawMessage) map[string]string
	// ValidateFunc and MaskFunc, if set, check and mask the settings; without them, the delivering
	// task type's validation and masking do.
	ValidateFunc func(config json.RawMessage) (json.RawMessage, map[string]string)
	MaskFunc     func(config json.RawMessage) json.RawMessage
	// SummaryFunc says in one line where notices go, secrets masked.
	SummaryFunc func(config json.RawMessage) string
	// FormValuesFunc fills the form's fields from stored settings; FormConfigFunc builds the
	// settings to check from the form's fields.
	FormValuesFunc func(config json.RawMessage) map[string]string
	FormConfigFunc func(values map[string]string) any
}

// registry holds every channel type, by name. Each type's file registers it in its init.
var registry = map[string]Type{}

func register(t Type) { registry[t.Name] = t }

// Lookup returns the channel type of that name.
func Lookup(name string) (Type, bool) {
	t, ok := registry[name]
	return t, ok
}

// Types returns every channel type in the dashboard's order.
func Types() []Type {
	types := slices.Collect(maps.Values(registry))
	slices.SortFunc(types, func(a, b Type) int { return a.Order - b.Order })
	return types
}

// Names returns the channel types' names, sorted, as problems list them.
func Names() []string { return slices.Sorted(maps.Keys(registry)) }

// Validate checks a channel's settings for its type and returns them as they will be stored, or
// problems keyed by field ("config.url"). The settings are checked by the delivering task type's
// own validation, so a channel accepts exactly the addresses and URLs a job would.
func Validate(channelType string, config json.RawMessage) (json.RawMessage, map[string]string) {
	t, ok := registry[channelType]
	if !ok {
		return nil, map[string]string{"type": "must be one of " + strings.Join(Names(), ", ")}
	}
	if len(config) == 0 || string(config) == "null" {
		return nil, map[string]string{"config": "is required"}
	}
	var given map[string]json.RawMessage
	if err := json.Unmarshal(config, &given); err != nil {
		return nil, map[string]string{"config": "must be a JSON object"}
	}
	if unknown := unknownSettings(t, given); len(unknown) > 0 {
		return nil, unknown
	}
	if t.ValidateFunc != nil {
		return t.ValidateFunc(config)
	}
	payload := map[string]any{}
	maps.Copy(payload, t.Sample)
	keys := make([]string, 0, len(t.Fields))
	for _, f := range t.Fields {
		key := strings.TrimPrefix(f.Name, "config.")
		keys = append(keys, key)
		payload[key] = given[key]
	}
	raw, _ := json.Marshal(payload) // built from JSON values only
	stored, problems := task.Validate(t.TaskType, raw)
	if len(problems) > 0 {
		out := make(map[string]string, len(problems))
		for k, v := range problems {
			out["config."+strings.TrimPrefix(k, "payload.")] = v
		}
		return nil, out
	}
	var all map[string]json.RawMessage
	_ = json.Unmarshal(stored, &all) // a validated payload is an object
	kept := make(map[string]json.RawMessage, len(keys))
	for _, k := range keys {
		kept[k] = all[k]
	}
	out, _ := json.Marshal(kept)
	return out, nil
}

// Mask returns settings fit to be listed, their secrets masked as the delivering task type masks
// them: the settings are named as that task's payload fields are.
func Mask(channelType string, config json.RawMessage) json.RawMessage {
	t, ok := registry[channelType]
	switch {
	case !ok:
		return config
	case t.MaskFunc != nil:
		return t.MaskFunc(config)
	}
	return task.Mask(t.TaskType, config)
}

// FormProblems names a channel's problems by the form's fields: the API's "config.url" is the
// form's "discord.url" for a type whose fields have a Key.
func FormProblems(channelType string, problems map[string]string) map[string]string {
	t, ok := registry[channelType]
	if !ok {
		return problems
	}
	out := make(map[string]string, len(problems))
	for k, v := range problems {
		out[k] = v
	}
	for _, f := range t.Fields {
		if v, ok := out["config."+f.Key]; ok && f.Key != "" {
			delete(out, "config."+f.Key)
			out[f.Name] = v
		}
	}
	return out
}

// Summary says in one line where a channel's notices go, secrets masked.
func Summary(channelType string, config json.RawMessage) string {
	if t, ok := registry[channelType]; ok {
		return t.SummaryFunc(config)
	}
	return channelType
}

// Sender delivers notices through the task executor.
type Sender struct {
	exec      *task.Executor
	publicURL string
	timeout   time.Duration
}

// NewSender returns a sender that delivers through exec, each attempt within timeout, with links
// under publicURL (such as "https://cron.example.com").
func NewSender(exec *task.Executor, publicURL string, timeout time.Duration) *Sender {
	return &Sender{exec: exec, publicURL: strings.TrimRight(publicURL, "/"), timeout: timeout}
}

// Channel is where a notice goes: its type, its settings and, for a signed webhook, its signing
// secrets (the current one, then the one being rotated out while it is still valid).
type Channel struct {
	Type           string
	Config         json.RawMessage
	SigningSecrets []string
}

// Send delivers e to a channel once and returns what the task reported. key is the notice's
// idempotency key, the same on every attempt, so a receiver can tell a resend from a new notice.
func (s *Sender) Send(ctx context.Context, ch Channel, e Event, key string) (string, error) {
	t, ok := registry[ch.Type]
	if !ok {
		return "", fmt.Errorf("unknown channel type %q", ch.Type)
	}
	if e.Job != nil {
		job := *e.Job
		job.URL = fmt.Sprintf("%s/jobs/%d", s.publicURL, job.ID)
		e.Job = &job
	}
	if e.Run != nil {
		run := *e.Run
		run.url = fmt.Sprintf("%s/runs/%d", s.publicURL, run.ID)
		e.Run = &run
	}
	// A notice is data: the job's name and the run's error are never filled in as templates.
	tk := task.Task{IdempotencyKey: key, ScheduledAt: e.At, Literal: true}
	if e.Job != nil {
		tk.JobID, tk.JobName = e.Job.ID, e.Job.Name
	}
	if e.Run != nil {
		tk.RunID = e.Run.ID
	}
	if t.RequestFunc != nil {
		tk.Secrets = t.SecretsFunc(ch.Config)
		return s.exec.Request(ctx, s.timeout, tk, t.RequestFunc(ch.Config, e, key))
	}
	payload, err := json.Marshal(t.PayloadFunc(ch.Config, e, ch.SigningSecrets))
	if err != nil {
		return "", fmt.Errorf("encode %s notice: %w", ch.Type, err)
	}
	tk.Payload = payload
	if len(ch.SigningSecrets) > 0 {
		tk.SigningSecret = ch.SigningSecrets[0]
	}
	if len(ch.SigningSecrets) > 1 {
		tk.PreviousSigningSecret = ch.SigningSecrets[1]
	}
	return s.exec.Execute(ctx, t.TaskType, s.timeout, tk)
}
