package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxSlackText is the longest message Slack accepts in a message's text field, in characters.
const maxSlackText = 40000

// slackPayload is what a slack job stores: an incoming-webhook URL and the message to post to it.
type slackPayload struct {
	WebhookURL string `json:"webhook_url"`
	Text       string `json:"text"`
}

// validateSlack checks a slack payload and returns it with unknown fields dropped and the URL trimmed.
func validateSlack(payload json.RawMessage) (json.RawMessage, map[string]string) {
	var p slackPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, map[string]string{"payload": "must be a JSON object"}
	}
	problems := map[string]string{}
	p.WebhookURL = strings.TrimSpace(p.WebhookURL)
	if problem := checkHTTPURL(p.WebhookURL); problem != "" {
		problems["payload.webhook_url"] = problem
	}
	switch {
	case strings.TrimSpace(p.Text) == "":
		problems["payload.text"] = "is required"
	case utf8.RuneCountInString(p.Text) > maxSlackText:
		problems["payload.text"] = fmt.Sprintf("must be at most %d characters", maxSlackText)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, map[string]string{"payload": "cannot be stored: " + err.Error()}
	}
	return out, nil
}

// slackExecutor returns the executor for slack tasks: it posts the text to the incoming webhook.
// The message is built with encoding/json so that quotes, newlines and any character survive.
func slackExecutor(client *http.Client) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		var p slackPayload
		if err := json.Unmarshal(t.Payload, &p); err != nil {
			return "", fmt.Errorf("decode slack payload: %w", err)
		}
		body, err := json.Marshal(struct {
			Text string `json:"text"`
		}{p.Text})
		if err != nil {
			return "", fmt.Errorf("encode slack message: %w", err)
		}
		return do(ctx, client, http.MethodPost, p.WebhookURL, RedactURLPath(p.WebhookURL), "application/json", body, t)
	}
}
