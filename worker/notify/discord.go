package notify

import (
	"net/http"
	"strings"

	"github.com/cronflow/cronflow/worker/task"
)

// maxDiscordContent is the longest message content Discord's webhooks take, in characters.
const maxDiscordContent = 2000

// zwsp, put after an @, keeps the word that follows from being read as a mention.
const zwsp = "\u200b"

// discordEscaper neutralises Discord's markdown and mentions in text put into a message: markdown
// characters and < are escaped with a backslash (no masked link, no <@id> or <#channel>), and every
// @ is followed by a zero-width space, so that @everyone and @here are text.
var discordEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "<", `\<`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "#", `\#`, "@", "@"+zwsp)

// DiscordText is Text for a Discord message, the values put in escaped.
func DiscordText(e Event) string {
	return text(e, func(s string) string { return discordEscaper.Replace(oneLine(s)) })
}

// A discord channel posts to a Discord webhook (Server settings, Integrations, Webhooks):
// {"content": …} with allowed_mentions {"parse": []}, so that no notice pings anyone whatever it says.
func init() {
	registerKind(kind{
		name: "discord", label: "Discord", order: 4,
		settings: []setting{{key: "url", label: "Discord webhook URL", url: true, secret: true,
			hint: "https://discord.com/api/webhooks/…; its path is its secret and is masked in lists."}},
		request: func(c settings, e Event, _ string) task.Request {
			return jsonRequest(http.MethodPost, c["url"], map[string]any{
				"content":          task.Clip(DiscordText(e), maxDiscordContent-1),
				"allowed_mentions": map[string]any{"parse": []string{}},
			}, nil)
		},
		summary: func(c settings) string { return "Discord via " + c["url"] },
	})
}
