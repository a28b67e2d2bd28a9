package notify

import (
	"encoding/json"

	"github.com/cronflow/cronflow/worker/task"
)

// webhookConfig is a webhook channel's settings: the URL that gets each notice as a JSON POST.
type webhookConfig struct {
	URL string `json:"url"`
}

func init() {
	register(Type{
		Name: task.WebhookName, Label: "Webhook", Order: 3, TaskType: task.WebhookName,
		Fields: []Field{{Name: "config.url", Label: "URL", Input: "url",
			Hint: "Cronflow POSTs each notice as JSON (event, job, run, consecutive_failures, at), signed by Standard Webhooks with the channel's whsec_ secret."}},
		Sample: map[string]any{"body": map[string]any{}},
		PayloadFunc: func(config json.RawMessage, e Event, signing []string) any {
			return map[string]any{"url": decode[webhookConfig](config).URL, "body": e, "sign": len(signing) > 0}
		},
		SummaryFunc: func(config json.RawMessage) string {
			return "POST " + task.RedactURL(decode[webhookConfig](config).URL)
		},
		FormValuesFunc: func(config json.RawMessage) map[string]string {
			return map[string]string{"config.url": decode[webhookConfig](config).URL}
		},
		FormConfigFunc: func(v map[string]string) any { return webhookConfig{URL: v["config.url"]} },
	})
}
