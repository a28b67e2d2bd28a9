package notify

import (
	"net/http"
	"regexp"

	"github.com/cronflow/cronflow/worker/task"
)

// maxTelegramText is the longest message text the Bot API sends, in characters.
const maxTelegramText = 4096

// telegramToken is the form of a bot's token, as BotFather gives it: the bot's id, a colon, a key.
var telegramToken = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// A telegram channel sends each notice by the Bot API's sendMessage, as plain text: without a
// parse_mode, nothing in a job's name or a run's error is markup.
func init() {
	registerKind(kind{
		name: "telegram", label: "Telegram", order: 8,
		settings: []setting{
			{key: "bot_token", label: "Bot token", secret: true, hint: "The token BotFather gave the bot, such as 123456:ABC-…",
				check: func(v string) string {
					if !telegramToken.MatchString(v) {
						return "must be a bot token such as 123456:ABC-DEF"
					}
					return ""
				}},
			{key: "chat_id", label: "Chat id", hint: "The chat, group or channel to write to: its id (-1001234567890) or @channelusername."},
			{key: "api_url", label: "Bot API URL", url: true, def: "https://api.telegram.org",
				hint: "https://api.telegram.org unless you run your own Bot API server."},
		},
		request: func(c settings, e Event, _ string) task.Request {
			r := jsonRequest(http.MethodPost, endpoint(c["api_url"], "bot"+c["bot_token"], "sendMessage"), map[string]any{
				"chat_id": c["chat_id"], "text": task.Clip(Text(e), maxTelegramText-1), "link_preview_options": map[string]any{"is_disabled": true},
			}, nil)
			r.ShownURL = endpoint(c["api_url"], "bot"+masked, "sendMessage")
			return r
		},
		summary: func(c settings) string { return "Telegram chat " + c["chat_id"] + " via " + c["api_url"] },
	})
}
