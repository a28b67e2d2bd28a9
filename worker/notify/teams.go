package notify

import (
	"net/http"
	"strings"

	"github.com/cronflow/cronflow/worker/task"
)

// teamsEscaper neutralises what an Adaptive Card's TextBlock reads as markdown in text put into a
// card: brackets and parentheses are escaped and a zero-width space breaks "](", so that no value
// makes a link, and emphasis characters are escaped.
var teamsEscaper = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`+zwsp, "(", `\(`, ")", `\)`, "*", `\*`, "_", `\_`,
	"<", "&lt;", ">", "&gt;")

// TeamsText is Text for an Adaptive Card, the values put in escaped.
func TeamsText(e Event) string {
	return text(e, func(s string) string { return teamsEscaper.Replace(oneLine(s)) })
}

// A teams channel posts to a Teams workflow webhook (Power Automate's "Post to a channel when a
// webhook request is received"): a message whose one attachment is an Adaptive Card, a TextBlock
// per line and a button that opens the run.
func init() {
	registerKind(kind{
		name: "teams", label: "Microsoft Teams", order: 5,
		settings: []setting{{key: "url", label: "Teams workflow webhook URL", url: true, secret: true,
			hint: "The URL of a Teams or Power Automate workflow that posts webhook requests to a channel; masked in lists."}},
		request: func(c settings, e Event, _ string) task.Request {
			return jsonRequest(http.MethodPost, c["url"], map[string]any{
				"type": "message",
				"attachments": []any{map[string]any{
					"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": teamsCard(e)}},
			}, nil)
		},
		summary: func(c settings) string { return "Teams via " + c["url"] },
	})
}

// teamsCard is the notice as an Adaptive Card.
func teamsCard(e Event) map[string]any {
	lines := strings.Split(strings.TrimSpace(TeamsText(e)), "\n")
	body := []any{map[string]any{"type": "TextBlock", "text": lines[0], "weight": "Bolder", "size": "Medium", "wrap": true}}
	for _, line := range lines[1:] {
		if strings.TrimSpace(line) != "" {
			body = append(body, map[string]any{"type": "TextBlock", "text": line, "wrap": true})
		}
	}
	card := map[string]any{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
		"version": "1.4", "body": body}
	if link := runURL(e); link != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in Cronflow", "url": link}}
	}
	return card
}
