package task

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// pingMethods are the methods a ping may use, the default first.
var pingMethods = []string{http.MethodGet, http.MethodHead}

// pingInput is a ping payload as a job's author writes it.
type pingInput struct {
	URL string `json:"url"`
	requestInput
}

// pingPayload is what a ping job stores: the URL to call, as a health check or a heartbeat, and
// how to call it.
type pingPayload struct {
	URL string `json:"url"`
	requestOptions
}

func init() {
	register(Type{
		Name: "ping", Label: "Ping a URL", Order: 1,
		Fields: append([]Field{
			{Name: "payload.url", Label: "URL", Input: "url", Hint: "Cronflow sends a GET (or a HEAD); any 2xx answer is a success unless you expect otherwise. The URL may use templates."},
		}, requestFields(pingMethods)...),
		ValidateFunc: validatePing,
		ExecutorFunc: func(env Env) ExecuteFunc {
			return func(ctx context.Context, t Task) (string, error) {
				p, err := payloadOf[pingPayload](t, "ping")
				if err != nil {
					return "", err
				}
				call, err := p.call(t, http.MethodGet, p.URL, "", nil)
				if err != nil {
					return "", err
				}
				return do(ctx, env.HTTP, call, t)
			}
		},
		SummaryFunc: func(payload json.RawMessage) string {
			p := decode[pingPayload](payload)
			return p.requestLine(http.MethodGet, p.URL)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			p := decode[pingPayload](payload)
			return append([]Setting{{Label: "URL", Value: p.requestLine(http.MethodGet, p.URL)}}, p.settings()...)
		},
		DefaultNameFunc: func(payload json.RawMessage) string {
			return "Ping " + hostOf(decode[pingPayload](payload).URL)
		},
		MaskedFields:   map[string]func(string) string{"url": redactTemplatedURL},
		MaskFieldsFunc: maskHeaders,
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			p := decode[pingPayload](payload)
			v := map[string]string{"payload.url": p.URL}
			p.formValues(v)
			return v
		},
		FormPayloadFunc: func(v, problems map[string]string) any {
			out := map[string]any{"url": v["payload.url"]}
			formInput(v, problems, out)
			return out
		},
	})
}

// validatePing checks a ping payload and returns it with unknown fields dropped, the URL trimmed
// and the request's options normalised.
func validatePing(payload json.RawMessage) (json.RawMessage, map[string]string) {
	in, problems := given[pingInput](payload)
	if problems != nil {
		return nil, problems
	}
	problems = map[string]string{}
	p := pingPayload{URL: strings.TrimSpace(in.URL), requestOptions: in.check(pingMethods, problems)}
	if problem := checkTemplatedURL(p.URL); problem != "" {
		problems["payload.url"] = problem
	}
	if p.Method == http.MethodHead && p.ExpectBody != "" {
		problems["payload.expect_body"] = "cannot be checked on a HEAD request, whose answer has no body"
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return store(p)
}
