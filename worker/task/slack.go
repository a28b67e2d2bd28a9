package task

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// SlackName is the slack task type's name; notification channels of the same name are delivered by it.
const SlackName = "slack"

// maxSlackText is the longest message Slack accepts in a message's text field, in characters.
const maxSlackText = 40000

// slackPayload is what a slack job stores: an incoming-webhook URL and the message to post to it.
type slackPayload struct {
	WebhookURL string `json:"webhook_url"`
	Text       string `json:"text"`
}

func init() {
	register(Type{
		Name: SlackName, Label: "Send a Slack message", Order: 3,
		Fields: []Field{
			{Name: "payload.webhook_url", Label: "Slack webhook URL", Input: "url",
				Hint: "An incoming-webhook URL from Slack, https://hooks.slack.com/services/…, or {{secrets.NAME}} holding one; it is kept secret on every page."},
			{Name: "payload.text", Label: "Message", Input: "textarea",
				Hint: "Slack formatting works: *bold*, _italic_, <https://example.com|links>. Templates such as {{job.name}} are filled in."},
		},
		ValidateFunc: validateSlack,
		ExecutorFunc: slackExecutor,
		SummaryFunc: func(payload json.RawMessage) string {
			p := decode[slackPayload](payload)
			return "To " + shownSlackURL(p.WebhookURL) + ": " + Clip(p.Text, 60)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			p := decode[slackPayload](payload)
			return []Setting{
				{Label: "Slack webhook", Value: shownSlackURL(p.WebhookURL)},
				{Label: "Message", Value: Clip(p.Text, 2000), Code: true},
			}
		},
		DefaultNameFunc: func(json.RawMessage) string { return "Slack message" },
		// The webhook's path is its secret.
		MaskedFields: map[string]func(string) string{"webhook_url": shownSlackURL},
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			p := decode[slackPayload](payload)
			return map[string]string{"payload.webhook_url": p.WebhookURL, "payload.text": p.Text}
		},
		FormPayloadFunc: func(v, _ map[string]string) any {
			return slackPayload{WebhookURL: v["payload.webhook_url"], Text: v["payload.text"]}
		},
	})
}

// validateSlack checks a slack payload and returns it with unknown fields dropped and the URL trimmed.
func validateSlack(payload json.RawMessage) (json.RawMessage, map[string]string) {
	p, problems := given[slackPayload](payload)
	if problems != nil {
		return nil, problems
	}
	problems = map[string]string{}
	p.WebhookURL = strings.TrimSpace(p.WebhookURL)
	if problem := checkTemplatedURL(p.WebhookURL); problem != "" {
		problems["payload.webhook_url"] = problem
	}
	switch {
	case strings.TrimSpace(p.Text) == "":
		problems["payload.text"] = "is required"
	case utf8.RuneCountInString(p.Text) > maxSlackText:
		problems["payload.text"] = fmt.Sprintf("must be at most %d characters", maxSlackText)
	default:
		if problem := checkTemplates(p.Text); problem != "" {
			problems["payload.text"] = problem
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return store(p)
}

// slackExecutor returns the executor for slack tasks: it posts the text to the incoming webhook.
// The message is built with encoding/json so that quotes, newlines and any character survive.
func slackExecutor(env Env) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		p, err := payloadOf[slackPayload](t, SlackName)
		if err != nil {
			return "", err
		}
		text, err := t.fill(p.Text, asText)
		if err != nil {
			return "", err
		}
		body, err := json.Marshal(struct {
			Text string `json:"text"`
		}{text})
		if err != nil {
			return "", fmt.Errorf("encode slack message: %w", err)
		}
		call, err := requestOptions{}.call(t, http.MethodPost, p.WebhookURL, "application/json", body)
		if err != nil {
			return "", err
		}
		call.shownURL, call.pathIsSecret = RedactURLPath(call.url), true
		return do(ctx, env.HTTP, call, t)
	}
}

// shownSlackURL masks a Slack webhook URL's path, its secret. A URL that is a template (a secret
// holding the whole URL) is shown as that reference.
func shownSlackURL(rawURL string) string {
	if strings.HasPrefix(strings.TrimSpace(rawURL), "{{") {
		return rawURL
	}
	return RedactURLPath(rawURL)
}
