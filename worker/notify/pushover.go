package notify

import (
	"net/http"
	"net/url"

	"github.com/cronflow/cronflow/worker/task"
)

// Limits of Pushover's message fields, in characters.
const (
	maxPushoverTitle   = 250
	maxPushoverMessage = 1024
)

// A pushover channel posts each notice to the Message API, form-encoded: the application's token,
// the user or group key, a title, the message as plain text (no html), and a link to the run.
func init() {
	registerKind(kind{
		name: "pushover", label: "Pushover", order: 13,
		settings: []setting{
			{key: "user_key", label: "User or group key", secret: true, hint: "Your user key, or a delivery group's key; masked in lists."},
			{key: "app_token", label: "Application token", secret: true, hint: "The API token of a Pushover application; masked in lists."},
			{key: "api_url", label: "API URL", url: true, def: "https://api.pushover.net", hint: "https://api.pushover.net"},
		},
		request: func(c settings, e Event, _ string) task.Request {
			form := url.Values{"token": {c["app_token"]}, "user": {c["user_key"]},
				"title": {task.Clip(Subject(e), maxPushoverTitle-1)}, "message": {task.Clip(Text(e), maxPushoverMessage-1)}}
			if link := runURL(e); link != "" {
				form.Set("url", link)
				form.Set("url_title", "Open in Cronflow")
			}
			return task.Request{Method: http.MethodPost, URL: endpoint(c["api_url"], "1", "messages.json"),
				ContentType: "application/x-www-form-urlencoded", Body: []byte(form.Encode())}
		},
		summary: func(c settings) string { return "Pushover via " + c["api_url"] },
	})
}
