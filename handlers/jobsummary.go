package handlers

import (
	"encoding/json"
	"strings"

	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker"
)

// storedPayload is every task type's payload fields, as stored.
type storedPayload struct {
	URL        string          `json:"url"`
	To         []string        `json:"to"`
	Subject    string          `json:"subject"`
	Body       json.RawMessage `json:"body"`
	WebhookURL string          `json:"webhook_url"`
	Text       string          `json:"text"`
}

// payloadSummary says in one line what a job does, with its secrets masked: a Slack webhook's
// path, and any password or query value in a URL. It is clipped, to keep a page of jobs small.
func payloadSummary(taskType string, payload json.RawMessage) string {
	return clip(summary(taskType, payload), 120)
}

func summary(taskType string, payload json.RawMessage) string {
	var p storedPayload
	_ = json.Unmarshal(payload, &p)
	switch taskType {
	case "ping":
		return "GET " + worker.RedactURL(p.URL)
	case "webhook":
		return "POST " + worker.RedactURL(p.URL)
	case "slack":
		return "To " + worker.RedactURLPath(p.WebhookURL) + ": " + clip(p.Text, 60)
	case "email":
		return "To " + strings.Join(p.To, ", ") + ": " + clip(p.Subject, 60)
	}
	return ""
}

// payloadSettings lists a job's task settings for its page, secrets masked as in payloadSummary.
func payloadSettings(taskType string, payload json.RawMessage) []views.Setting {
	var p storedPayload
	_ = json.Unmarshal(payload, &p)
	switch taskType {
	case "ping":
		return []views.Setting{{Label: "URL", Value: "GET " + worker.RedactURL(p.URL)}}
	case "webhook":
		return []views.Setting{
			{Label: "URL", Value: "POST " + worker.RedactURL(p.URL)},
			{Label: "JSON body", Value: clip(string(p.Body), 2000), Code: true},
		}
	case "slack":
		return []views.Setting{
			{Label: "Slack webhook", Value: worker.RedactURLPath(p.WebhookURL)},
			{Label: "Message", Value: clip(p.Text, 2000), Code: true},
		}
	case "email":
		var body string
		_ = json.Unmarshal(p.Body, &body)
		return []views.Setting{
			{Label: "To", Value: strings.Join(p.To, ", ")},
			{Label: "Subject", Value: p.Subject},
			{Label: "Message", Value: clip(body, 2000), Code: true},
		}
	}
	return nil
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
