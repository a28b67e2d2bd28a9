package notify

import (
	"net/http"

	"github.com/cronflow/cronflow/worker/task"
)

// A gotify channel posts each notice to the server's /message endpoint with an application's
// token in X-Gotify-Key: a title, the message as plain text, and a priority (8, high, for a
// failing job, else 4).
func init() {
	registerKind(kind{
		name: "gotify", label: "Gotify", order: 12,
		settings: []setting{
			{key: "url", label: "Server URL", url: true, hint: "The Gotify server, such as https://gotify.example.com."},
			{key: "token", label: "Application token", secret: true, hint: "The token of a Gotify application; masked in lists."},
		},
		request: func(c settings, e Event, _ string) task.Request {
			priority := 4
			if e.Event == Failing {
				priority = 8
			}
			body := map[string]any{"title": Subject(e), "message": Text(e), "priority": priority,
				"extras": map[string]any{"client::display": map[string]any{"contentType": "text/plain"}}}
			if link := runURL(e); link != "" {
				body["extras"].(map[string]any)["client::notification"] = map[string]any{"click": map[string]any{"url": link}}
			}
			return jsonRequest(http.MethodPost, endpoint(c["url"], "message"), body, map[string]string{"X-Gotify-Key": c["token"]})
		},
		summary: func(c settings) string { return "Gotify via " + c["url"] },
	})
}
