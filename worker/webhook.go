package worker

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

// validateWebhook checks a webhook payload. The body may be any JSON value; a JSON string stays a
// string, even when its content is itself JSON, because that is what the author sent.
func validateWebhook(payload json.RawMessage) (json.RawMessage, map[string]string) {
	var p webhookPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, map[string]string{"payload": "must be a JSON object"}
	}
	problems := map[string]string{}
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

// webhookExecutor returns the executor for webhook tasks: it POSTs the stored body as JSON.
func webhookExecutor(client *http.Client) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		var p webhookPayload
		if err := json.Unmarshal(t.Payload, &p); err != nil {
			return "", fmt.Errorf("decode webhook payload: %w", err)
		}
		return do(ctx, client, http.MethodPost, p.URL, RedactURL(p.URL), "application/json", p.Body, t)
	}
}
