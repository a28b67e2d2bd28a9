package notify

import (
	"net/http"
	"strings"

	"github.com/cronflow/cronflow/worker/task"
)

// mattermostEscaper neutralises Mattermost's markup in text put into a message: &, < and > as
// entities, brackets escaped so that no value makes a link, and a zero-width space after every @,
// so that @channel, @here and @all are text.
var mattermostEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`,
	"@", "@"+zwsp)

// MattermostText is Text for a Mattermost message, the values put in escaped.
func MattermostText(e Event) string {
	return text(e, func(s string) string { return mattermostEscaper.Replace(oneLine(s)) })
}

// A mattermost channel posts {"text": …} to an incoming webhook.
func init() {
	registerKind(kind{
		name: "mattermost", label: "Mattermost", order: 7,
		settings: []setting{{key: "url", label: "Mattermost webhook URL", url: true, secret: true,
			hint: "https://mattermost.example.com/hooks/…; its path is its secret and is masked in lists."}},
		request: func(c settings, e Event, _ string) task.Request {
			return jsonRequest(http.MethodPost, c["url"], map[string]any{"text": MattermostText(e)}, nil)
		},
		summary: func(c settings) string { return "Mattermost via " + c["url"] },
	})
}
