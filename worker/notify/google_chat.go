package notify

import (
	"net/http"

	"github.com/cronflow/cronflow/worker/task"
)

// GoogleChatText is Text for a Google Chat message, whose text reads <users/all> as a mention and
// <url|text> as a link: &, < and > in the values put in are escaped, as Slack's are.
func GoogleChatText(e Event) string {
	return text(e, func(s string) string { return slackEscaper.Replace(oneLine(s)) })
}

// A google_chat channel posts {"text": …} to a space's incoming webhook.
func init() {
	registerKind(kind{
		name: "google_chat", label: "Google Chat", order: 6,
		settings: []setting{{key: "url", label: "Google Chat webhook URL", url: true, secret: true,
			hint: "https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…; its key and token are masked in lists."}},
		request: func(c settings, e Event, _ string) task.Request {
			return jsonRequest(http.MethodPost, c["url"], map[string]any{"text": GoogleChatText(e)}, nil)
		},
		summary: func(c settings) string { return "Google Chat via " + c["url"] },
	})
}
