package task

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// webhookPayload is what a webhook job stores: the URL to POST to and the JSON body to send, kept
// byte for byte as the job's author wrote it.
type webhookPayload struct {
	URL  string          `json:"url"`
	Body json.RawMessage `json:"body"`
}

func init() {
	register(Type{
		Name: "webhook", Label: "Trigger a webhook", Order: 4,
		Fields: []Field{
			{Name: "payload.url", Label: "URL", Input: "url", Hint: "Cronflow sends a POST with a JSON body; any 2xx answer is a success."},
			{Name: "payload.body", Label: "JSON body", Input: "textarea", Hint: "Any JSON value, such as {\"event\": \"nightly\"}."},
		},
		ValidateFunc: validateWebhook,
		ExecutorFunc: func(env Env) ExecuteFunc {
			return func(ctx context.Context, t Task) (string, error) {
				p, err := payloadOf[webhookPayload](t, "webhook")
				if err != nil {
					return "", err
				}
				return do(ctx, env.HTTP, http.MethodPost, p.URL, RedactURL(p.URL), "application/json", p.Body, t)
			}
		},
		SummaryFunc: func(payload json.RawMessage) string {
			return "POST " + RedactURL(decode[webhookPayload](payload).URL)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			p := decode[webhookPayload](payload)
			return []Setting{
				{Label: "URL", Value: "POST " + RedactURL(p.URL)},
				{Label: "JSON body", Value: Clip(string(p.Body), 2000), Code: true},
			}
		},
		DefaultNameFunc: func(payload json.RawMessage) string {
			return "Webhook to " + hostOf(decode[webhookPayload](payload).URL)
		},
		MaskedFields: map[string]func(string) string{"url": RedactURL},
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			p := decode[webhookPayload](payload)
			return map[string]string{"payload.url": p.URL, "payload.body": string(p.Body)}
		},
		FormPayloadFunc: webhookFormPayload,
	})
}

// webhookFormPayload reads the body from the form as JSON text.
func webhookFormPayload(v, problems map[string]string) any {
	body := json.RawMessage(strings.TrimSpace(v["payload.body"]))
	switch {
	case len(body) == 0:
		body = nil
	case !json.Valid(body):
		problems["payload.body"] = "must be valid JSON, such as {\"event\": \"nightly\"}"
		body = nil
	}
	return map[string]any{"url": v["payload.url"], "body": body}
}

// validateWebhook checks a webhook payload. The body may be any JSON value; a JSON string stays a
// string, even when its content is itself JSON, because that is what the author sent.
func validateWebhook(payload json.RawMessage) (json.RawMessage, map[string]string) {
	p, problems := given[webhookPayload](payload)
	if problems != nil {
		return nil, problems
	}
	problems = map[string]string{}
	p.URL = strings.TrimSpace(p.URL)
	if problem := checkHTTPURL(p.URL); problem != "" {
		problems["payload.url"] = problem
	}
	if len(p.Body) == 0 || string(p.Body) == "null" {
		problems["payload.body"] = "is required"
	}
	if len(problems) > 0 {
		return nil, problems
	}
	// json.Marshal would compact the body and escape <, > and &; build the object by hand instead so
	// that the stored body is exactly the one given.
	url, err := json.Marshal(p.URL)
	if err != nil {
		return nil, map[string]string{"payload.url": "cannot be stored: " + err.Error()}
	}
	return json.RawMessage(fmt.Sprintf(`{"url":%s,"body":%s}`, url, p.Body)), nil
}
