package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
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
}

// ExecuteFunc performs one attempt of a task. It returns what the run should show as its output,
// and an error if the attempt failed. It must return when ctx is done.
type ExecuteFunc func(ctx context.Context, t Task) (output string, err error)

// ValidateFunc checks a task type's payload. It returns the payload as it will be stored
// (normalised), or problems keyed by field name ("payload.url").
type ValidateFunc func(payload json.RawMessage) (json.RawMessage, map[string]string)

// validators lists every task type Cronflow knows. A job's type must be one of these.
var validators = map[string]ValidateFunc{
	"ping":    validatePing,
	"email":   validateEmail,
	"slack":   validateSlack,
	"webhook": validateWebhook,
}

// TaskTypes returns the names of the task types, sorted.
func TaskTypes() []string {
	names := make([]string, 0, len(validators))
	for name := range validators {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ValidatePayload checks a payload for a task type. An unknown type is reported on the "type" field.
func ValidatePayload(taskType string, payload json.RawMessage) (json.RawMessage, map[string]string) {
	validate, ok := validators[taskType]
	if !ok {
		return nil, map[string]string{"type": fmt.Sprintf("must be one of %v", TaskTypes())}
	}
	if len(payload) == 0 || string(payload) == "null" {
		return nil, map[string]string{"payload": "is required"}
	}
	return validate(payload)
}
