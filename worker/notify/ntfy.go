package notify

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/cronflow/cronflow/worker/task"
)

// ntfyTopic is the form of an ntfy topic name.
var ntfyTopic = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

// An ntfy channel publishes each notice as JSON to the server's root URL, with the topic, a title,
// a priority (high for a failing job) and tags that ntfy shows as emoji. Messages are plain text.
func init() {
	registerKind(kind{
		name: "ntfy", label: "ntfy", order: 11,
		settings: []setting{
			{key: "url", label: "Topic URL", url: true, secret: true, check: checkNtfyURL,
				hint: "The server and the topic, such as https://ntfy.sh/cronflow-alerts-x7q; a topic is a password, so it is masked in lists."},
			{key: "token", label: "Access token (optional)", secret: true, optional: true,
				hint: "An access token (tk_…) for a protected topic; sent as a Bearer token."},
		},
		request: ntfyRequest,
		summary: func(c settings) string { return "ntfy via " + c["url"] },
	})
}

// splitNtfyURL returns the server's URL and the topic of a topic URL.
func splitNtfyURL(v string) (server, topic string) {
	i := strings.LastIndex(strings.TrimRight(v, "/"), "/")
	return v[:i], strings.Trim(v[i+1:], "/")
}

// checkNtfyURL checks that a topic URL names a topic.
func checkNtfyURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.RawQuery != "" || strings.Trim(u.Path, "/") == "" {
		return "must name a topic after the server, such as https://ntfy.sh/cronflow-alerts"
	}
	if _, topic := splitNtfyURL(v); !ntfyTopic.MatchString(topic) {
		return "must end in a topic of letters, digits, - and _ (at most 64)"
	}
	return ""
}

// ntfyRequest publishes a notice.
func ntfyRequest(c settings, e Event, _ string) task.Request {
	server, topic := splitNtfyURL(c["url"])
	priority, tags := 3, []string{"information_source"}
	switch e.Event {
	case Failing:
		priority, tags = 4, []string{"rotating_light"}
	case Recovered:
		tags = []string{"white_check_mark"}
	case Test:
		tags = []string{"test_tube"}
	}
	body := map[string]any{"topic": topic, "title": Subject(e), "message": Text(e), "priority": priority, "tags": tags}
	if link := runURL(e); link != "" {
		body["click"] = link
	}
	var headers map[string]string
	if c["token"] != "" {
		headers = map[string]string{"Authorization": "Bearer " + c["token"]}
	}
	r := jsonRequest(http.MethodPost, server+"/", body, headers)
	r.ShownURL = task.RedactURLPath(c["url"])
	return r
}
