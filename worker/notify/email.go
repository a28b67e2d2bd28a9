package notify

import (
	"encoding/json"
	"strings"

	"github.com/cronflow/cronflow/worker/task"
)

// emailConfig is an email channel's settings: who gets its notices.
type emailConfig struct {
	To []string `json:"to"`
}

func init() {
	register(Type{
		Name: task.EmailName, Label: "Email", Order: 1, TaskType: task.EmailName,
		Fields: []Field{{Name: "config.to", Label: "To", Input: "text", Hint: "One or more addresses, separated by commas."}},
		Sample: map[string]any{"subject": "Cronflow", "body": "Cronflow"},
		PayloadFunc: func(config json.RawMessage, e Event, _ []string) any {
			c := decode[emailConfig](config)
			return map[string]any{"to": c.To, "subject": Subject(e), "body": Text(e)}
		},
		SummaryFunc: func(config json.RawMessage) string {
			return "Email to " + strings.Join(decode[emailConfig](config).To, ", ")
		},
		FormValuesFunc: func(config json.RawMessage) map[string]string {
			return map[string]string{"config.to": strings.Join(decode[emailConfig](config).To, ", ")}
		},
		FormConfigFunc: func(v map[string]string) any { return emailConfig{To: task.SplitAddresses(v["config.to"])} },
	})
}

// decode reads stored settings; stored settings were validated, so a failure gives the zero value.
func decode[C any](config json.RawMessage) C {
	var c C
	_ = json.Unmarshal(config, &c)
	return c
}
