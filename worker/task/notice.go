package task

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Request is one HTTP request built whole by its caller, as a notification channel builds the
// request its service documents: nothing in it is a template. It is sent by the client every HTTP
// task shares, so the target rules, the limits and the handling of redirects are those of a job.
type Request struct {
	Method, URL, ContentType string
	// ShownURL is the URL as errors and outputs show it, its secrets masked; RedactURL(URL) if empty.
	ShownURL string
	Headers  map[string]string
	Body     []byte
	// SigningSecrets, if any, sign the request by Standard Webhooks, one signature per secret
	// (the current one first, then one still valid during a rotation's overlap).
	SigningSecrets []string
}

// Request sends r once for t within timeout and reports the answer as a run's output. The values
// of t.Secrets are masked in the output and the error, as Execute masks them.
func (e *Executor) Request(ctx context.Context, timeout time.Duration, t Task, r Request) (string, error) {
	fn := func(ctx context.Context, t Task) (string, error) {
		if problem := checkHTTPURL(r.URL); problem != "" {
			return "", Permanent(fmt.Errorf("url %s", problem), "the URL is not usable")
		}
		call := httpCall{method: r.Method, url: r.URL, shownURL: r.ShownURL, contentType: r.ContentType, body: r.Body,
			headers: make(map[string]string, len(r.Headers)+3)}
		if call.method == "" {
			call.method = http.MethodPost
		}
		if call.shownURL == "" {
			call.shownURL = RedactURL(r.URL)
		}
		for name, value := range r.Headers {
			call.headers[name] = value
		}
		if len(r.SigningSecrets) > 0 {
			signed, err := SignAll(r.SigningSecrets, t.IdempotencyKey, time.Now(), r.Body)
			if err != nil {
				return "", Permanent(err, "the request cannot be signed")
			}
			for name, value := range signed {
				call.headers[name] = value
			}
		}
		return do(ctx, e.http, call, t)
	}
	output, err := e.run(ctx, fn, timeout, t)
	return maskSecrets(output, t.Secrets), maskError(err, t.Secrets)
}

// SignAll is Sign with several secrets: the webhook-signature header lists one signature per
// secret, separated by spaces, as the Standard Webhooks specification allows, so that a receiver
// that knows either secret accepts the message while a secret is being rotated.
func SignAll(secrets []string, id string, at time.Time, body []byte) (map[string]string, error) {
	var out map[string]string
	var sigs []string
	for _, s := range secrets {
		signed, err := Sign(s, id, at, body)
		if err != nil {
			return nil, err
		}
		out = signed
		sigs = append(sigs, signed["webhook-signature"])
	}
	if out != nil {
		out["webhook-signature"] = strings.Join(sigs, " ")
	}
	return out, nil
}
