package task

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// WebhookName is the webhook task type's name; notification channels of the same name are delivered by it.
const WebhookName = "webhook"

// webhookMethods are the methods a webhook may use, the default first.
var webhookMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// webhookInput is a webhook payload as a job's author writes it.
type webhookInput struct {
	URL  string          `json:"url"`
	Body json.RawMessage `json:"body"`
	Sign bool            `json:"sign"`
	requestInput
}

// webhookPayload is what a webhook job stores: the URL to call, the JSON body to send, kept byte
// for byte as the job's author wrote it, whether to sign it, and how to call it.
type webhookPayload struct {
	URL  string          `json:"url"`
	Body json.RawMessage `json:"body,omitempty"`
	Sign bool            `json:"sign,omitempty"`
	requestOptions
}

func init() {
	register(Type{
		Name: WebhookName, Label: "Trigger a webhook", Order: 4,
		Fields: append([]Field{
			{Name: "payload.url", Label: "URL", Input: "url", Hint: "Cronflow sends the JSON body with a POST (or the method below); any 2xx answer is a success unless you expect otherwise."},
			{Name: "payload.body", Label: "JSON body", Input: "textarea", Hint: "Any JSON value, such as {\"event\": \"nightly\", \"run\": \"{{run.id}}\"}; its strings may use templates."},
			{Name: "payload.sign", Label: "Sign each request (Standard Webhooks)", Input: "checkbox",
				Hint: "Adds webhook-id, webhook-timestamp and webhook-signature; the job's page shows the secret to verify them with."},
		}, requestFields(webhookMethods)...),
		ValidateFunc: validateWebhook,
		ExecutorFunc: webhookExecutor,
		SummaryFunc: func(payload json.RawMessage) string {
			p := decode[webhookPayload](payload)
			return p.requestLine(http.MethodPost, p.URL)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			p := decode[webhookPayload](payload)
			out := []Setting{
				{Label: "URL", Value: p.requestLine(http.MethodPost, p.URL)},
				{Label: "JSON body", Value: Clip(string(p.Body), 2000), Code: true},
			}
			return append(out, p.settings()...)
		},
		DefaultNameFunc: func(payload json.RawMessage) string {
			return "Webhook to " + hostOf(decode[webhookPayload](payload).URL)
		},
		SignedFunc:     func(payload json.RawMessage) bool { return decode[webhookPayload](payload).Sign },
		MaskedFields:   map[string]func(string) string{"url": redactTemplatedURL},
		MaskFieldsFunc: maskHeaders,
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			p := decode[webhookPayload](payload)
			v := map[string]string{"payload.url": p.URL, "payload.body": string(p.Body), "payload.sign": ""}
			if p.Sign {
				v["payload.sign"] = "true"
			}
			p.formValues(v)
			return v
		},
		FormPayloadFunc: webhookFormPayload,
	})
}

// webhookExecutor returns the executor for webhook tasks: the body's templates are filled in as
// JSON strings, and a signed webhook carries the Standard Webhooks headers over the exact body sent.
func webhookExecutor(env Env) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		p, err := payloadOf[webhookPayload](t, WebhookName)
		if err != nil {
			return "", err
		}
		var body []byte
		contentType := ""
		if len(p.Body) > 0 {
			filled, err := t.fill(string(p.Body), inJSON)
			if err != nil {
				return "", err
			}
			body, contentType = []byte(filled), "application/json"
		}
		call, err := p.call(t, http.MethodPost, p.URL, contentType, body)
		if err != nil {
			return "", err
		}
		if p.Sign {
			secrets := []string{t.SigningSecret}
			if t.PreviousSigningSecret != "" {
				secrets = append(secrets, t.PreviousSigningSecret)
			}
			signed, err := SignAll(secrets, t.IdempotencyKey, time.Now(), body)
			if err != nil {
				return "", Permanent(err, "the webhook cannot be signed")
			}
			for name, value := range signed {
				call.headers[name] = value
			}
		}
		return do(ctx, env.HTTP, call, t)
	}
}

// webhookFormPayload reads the body from the form as JSON text.
func webhookFormPayload(v, problems map[string]string) any {
	body := json.RawMessage(strings.TrimSpace(v["payload.body"]))
	switch {
	case len(body) == 0:
		body = nil
	case !json.Valid(body):
		problems["payload.body"] = "must be valid JSON, such as {\"event\": \"nightly\"}"
		body = nil
	}
	out := map[string]any{"url": v["payload.url"], "body": body, "sign": v["payload.sign"] == "true"}
	formInput(v, problems, out)
	return out
}

// validateWebhook checks a webhook payload. The body may be any JSON value, and may be left out
// for a DELETE; a JSON string stays a string, even when its content is itself JSON, because that
// is what the author sent.
func validateWebhook(payload json.RawMessage) (json.RawMessage, map[string]string) {
	in, problems := given[webhookInput](payload)
	if problems != nil {
		return nil, problems
	}
	problems = map[string]string{}
	p := webhookPayload{URL: strings.TrimSpace(in.URL), Sign: in.Sign, requestOptions: in.check(webhookMethods, problems)}
	if problem := checkTemplatedURL(p.URL); problem != "" {
		problems["payload.url"] = problem
	}
	hasBody := len(in.Body) > 0 && string(in.Body) != "null"
	switch {
	case !hasBody && p.Method != http.MethodDelete:
		problems["payload.body"] = "is required"
	case hasBody:
		if problem := checkTemplates(string(in.Body)); problem != "" {
			problems["payload.body"] = problem
		}
	}
	for name := range p.Headers {
		if p.Sign && slices.Contains(signatureHeaders, http.CanonicalHeaderKey(name)) {
			problems["payload.headers."+name] = "is set by the signature and may not be given"
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return storeWithBody(p, in.Body, hasBody)
}

// storeWithBody encodes a webhook payload with its body exactly as given: json.Marshal would
// compact the body and escape <, > and &, so the body is put in by hand.
func storeWithBody(p webhookPayload, body json.RawMessage, hasBody bool) (json.RawMessage, map[string]string) {
	out, problems := store(p)
	if problems != nil || !hasBody {
		return out, problems
	}
	return json.RawMessage(string(out[:len(out)-1]) + `,"body":` + string(body) + `}`), nil
}
