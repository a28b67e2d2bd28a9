package task

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// pingPayload is what a ping job stores: the URL to GET, as a health check or a heartbeat.
type pingPayload struct {
	URL string `json:"url"`
}

func init() {
	register(Type{
		Name: "ping", Label: "Ping a URL", Order: 1,
		Fields: []Field{
			{Name: "payload.url", Label: "URL", Input: "url", Hint: "Cronflow sends a GET; any 2xx answer is a success."},
		},
		ValidateFunc: validatePing,
		ExecutorFunc: func(env Env) ExecuteFunc {
			return func(ctx context.Context, t Task) (string, error) {
				p, err := payloadOf[pingPayload](t, "ping")
				if err != nil {
					return "", err
				}
				return do(ctx, env.HTTP, http.MethodGet, p.URL, RedactURL(p.URL), "", nil, t)
			}
		},
		SummaryFunc: func(payload json.RawMessage) string {
			return "GET " + RedactURL(decode[pingPayload](payload).URL)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			return []Setting{{Label: "URL", Value: "GET " + RedactURL(decode[pingPayload](payload).URL)}}
		},
		DefaultNameFunc: func(payload json.RawMessage) string {
			return "Ping " + hostOf(decode[pingPayload](payload).URL)
		},
		MaskedFields: map[string]func(string) string{"url": RedactURL},
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			return map[string]string{"payload.url": decode[pingPayload](payload).URL}
		},
		FormPayloadFunc: func(v, _ map[string]string) any { return pingPayload{URL: v["payload.url"]} },
	})
}

// validatePing checks a ping payload and returns it with unknown fields dropped and the URL trimmed.
func validatePing(payload json.RawMessage) (json.RawMessage, map[string]string) {
	p, problems := given[pingPayload](payload)
	if problems != nil {
		return nil, problems
	}
	p.URL = strings.TrimSpace(p.URL)
	if problem := checkHTTPURL(p.URL); problem != "" {
		return nil, map[string]string{"payload.url": problem}
	}
	return store(p)
}
