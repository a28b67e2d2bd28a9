package notify

import (
	"encoding/json"

	"github.com/cronflow/cronflow/worker/task"
)

// slackConfig is a Slack channel's settings: an incoming-webhook URL, whose path is its secret.
type slackConfig struct {
	WebhookURL string `json:"webhook_url"`
}

func init() {
	register(Type{
		Name: task.SlackName, Label: "Slack", Order: 2, TaskType: task.SlackName,
		Fields: []Field{{Name: "config.webhook_url", Label: "Slack webhook URL", Input: "url",
			Hint: "An incoming-webhook URL from Slack; it is kept secret on every page."}},
		Sample: map[string]any{"text": "Cronflow"},
		PayloadFunc: func(config json.RawMessage, e Event, _ []string) any {
			return map[string]any{"webhook_url": decode[slackConfig](config).WebhookURL, "text": SlackText(e)}
		},
		SummaryFunc: func(config json.RawMessage) string {
			return "Slack via " + task.RedactURLPath(decode[slackConfig](config).WebhookURL)
		},
		FormValuesFunc: func(config json.RawMessage) map[string]string {
			return map[string]string{"config.webhook_url": decode[slackConfig](config).WebhookURL}
		},
		FormConfigFunc: func(v map[string]string) any { return slackConfig{WebhookURL: v["config.webhook_url"]} },
	})
}
