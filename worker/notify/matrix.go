package notify

import (
	"net/http"
	"strings"

	"github.com/cronflow/cronflow/worker/task"
)

// matrixEscaper keeps @room in a value put into a message from notifying the whole room, by the
// legacy rule that matches it in the body.
var matrixEscaper = strings.NewReplacer("@room", "@"+zwsp+"room")

// MatrixText is Text for a Matrix m.text body, which is plain text.
func MatrixText(e Event) string {
	return text(e, func(s string) string { return matrixEscaper.Replace(oneLine(s)) })
}

// A matrix channel sends each notice as an m.text message to a room, by the client-server API's
// PUT …/send/m.room.message/{txnId}; the transaction id is the notice's idempotency key, so that
// the homeserver drops a resend. The message has only a plain body, and an empty m.mentions, so
// that it mentions no one.
func init() {
	registerKind(kind{
		name: "matrix", label: "Matrix", order: 14,
		settings: []setting{
			{key: "homeserver", label: "Homeserver URL", url: true, hint: "The homeserver's client API, such as https://matrix.example.org."},
			{key: "access_token", label: "Access token", secret: true, hint: "The access token of the account that posts; masked in lists."},
			{key: "room_id", label: "Room id", hint: "The room's id, such as !abcdefg:example.org (Room settings, Advanced); the account must have joined it.",
				check: func(v string) string {
					if !strings.HasPrefix(v, "!") || !strings.Contains(v, ":") {
						return "must be a room id such as !abcdefg:example.org"
					}
					return ""
				}},
		},
		request: func(c settings, e Event, key string) task.Request {
			target := endpoint(c["homeserver"], "_matrix", "client", "v3", "rooms", c["room_id"], "send", "m.room.message", key)
			return jsonRequest(http.MethodPut, target, map[string]any{"msgtype": "m.text", "body": MatrixText(e), "m.mentions": map[string]any{}},
				map[string]string{"Authorization": "Bearer " + c["access_token"]})
		},
		summary: func(c settings) string { return "Matrix room " + c["room_id"] + " via " + c["homeserver"] },
	})
}
