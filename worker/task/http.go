package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

const (
	// userAgent names Cronflow in every request, so that the owner of a target can tell who is calling.
	userAgent = "Cronflow/1.0 (+https://github.com/cronflow/cronflow)"
	// maxResponseRead bounds what is read of a response: a target cannot make a run hold megabytes.
	maxResponseRead = 64 << 10
	// maxOutputBody bounds how much of a response body a run keeps as its output.
	maxOutputBody = 2 << 10
	// maxURLLength bounds a task's URL, as most servers and proxies do.
	maxURLLength = 2048
	// maxResponseHeaders bounds the status line and headers of an answer, as maxResponseRead bounds
	// its body: net/http would read up to 10 MB of headers per response.
	maxResponseHeaders = 64 << 10
)

// httpCall is one HTTP request of a task, its templates filled in, and what answer it expects.
type httpCall struct {
	method, url, contentType string
	// shownURL is the URL as errors show it, with its secrets masked.
	shownURL string
	body     []byte
	headers  map[string]string
	expect   []statusRange
	// expectBody, if not empty, must be in the first maxResponseRead bytes of the answer.
	expectBody string
	// pathIsSecret says that the URL's path is its secret (Slack's webhooks), for the exchange kept.
	pathIsSecret bool
}

// do sends one HTTP request for task t and reports the response as a run's output: the status line,
// then the start of the body. An answer that misses the expected status or body text is an error
// saying what came back. ctx bounds the whole exchange, reading the body included.
func do(ctx context.Context, client *http.Client, call httpCall, t Task) (string, error) {
	var reqBody io.Reader
	if call.body != nil {
		reqBody = bytes.NewReader(call.body)
	}
	if expectsRedirect(call.expect) {
		ctx = context.WithValue(ctx, noRedirectsKey{}, true)
	}
	ctx = t.Exchange.traced(ctx)
	defer t.Exchange.finishTimings()
	req, err := http.NewRequestWithContext(ctx, call.method, call.url, reqBody)
	if err != nil {
		return "", Permanent(fmt.Errorf("build %s request to %s: %w", call.method, call.shownURL, unwrapURLError(err)), "the request cannot be built")
	}
	req.Header.Set("User-Agent", userAgent)
	if call.contentType != "" {
		req.Header.Set("Content-Type", call.contentType)
	}
	for name, value := range call.headers {
		if !httpguts.ValidHeaderFieldValue(value) {
			return "", Permanent(fmt.Errorf("header %s: its value, templates filled in, is not one line of text", name), "a header cannot be sent")
		}
		req.Header.Set(name, value)
	}
	if t.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", t.IdempotencyKey)
	}
	target := targetOf(ctx, call.url)
	t.Exchange.captureRequest(req, call, t)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", call.method, call.shownURL, connError(err, target))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	// Secrets are masked in the whole answer read, before it is cut: a secret across the cut
	// would show its first part.
	masked := maskSecrets(string(data), t.Secrets)
	t.Exchange.captureResponse(resp, masked, len(data), t)
	output := "HTTP " + resp.Status + "\n" + Storable(masked, maxOutputBody)
	switch {
	case err != nil:
		return output, fmt.Errorf("read response to %s %s: %w", call.method, call.shownURL, connError(err, target))
	case !matches(call.expect, resp.StatusCode):
		return output, statusFailure(fmt.Errorf("HTTP %s, expected %s", resp.Status, expectText(call.expect)), resp, time.Now())
	case call.expectBody != "" && !bytes.Contains(data, []byte(call.expectBody)):
		return output, Permanent(fmt.Errorf("HTTP %s, but the answer does not contain %q (in its first 64 KiB)", resp.Status, Clip(call.expectBody, 100)),
			"the answer missed expect_body")
	}
	return output, nil
}

// unwrapURLError drops the *url.Error wrapper that net/http and net/url put around errors: it repeats
// the URL, password included for parse errors, and the caller names the request itself.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// checkHTTPURL returns a problem with rawURL as the target of an HTTP task, or "" if it is usable:
// an absolute http or https URL with a host.
func checkHTTPURL(rawURL string) string {
	if strings.TrimSpace(rawURL) == "" {
		return "is required"
	}
	if len(rawURL) > maxURLLength {
		return fmt.Sprintf("must be at most %d characters", maxURLLength)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}
