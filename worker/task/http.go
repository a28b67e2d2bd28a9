package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
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
)

// do sends one HTTP request for task t and reports the response as a run's output: the status line,
// then the start of the body. Any 2xx is a success; anything else is an error naming the status.
// ctx bounds the whole exchange, reading the body included. shownURL is the URL as errors show it,
// with its secrets masked.
func do(ctx context.Context, client *http.Client, method, rawURL, shownURL, contentType string, body []byte, t Task) (string, error) {
	var reqBody io.Reader
	if body != nil {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reqBody)
	if err != nil {
		return "", fmt.Errorf("build %s request to %s: %w", method, shownURL, unwrapURLError(err))
	}
	req.Header.Set("User-Agent", userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if t.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", t.IdempotencyKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", method, shownURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	output := "HTTP " + resp.Status + "\n" + Storable(string(data), maxOutputBody)
	if err != nil {
		return output, fmt.Errorf("read response to %s %s: %w", method, shownURL, unwrapURLError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return output, fmt.Errorf("HTTP %s", resp.Status)
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

// NewHTTPClient returns the client shared by every HTTP task: bounded connection set-up and
// connections reused across runs. With allowPrivate false, it refuses to connect to loopback,
// private, link-local and cloud-metadata addresses; the check is made on the address being dialled,
// after DNS resolution, so a name that resolves (or rebinds) to such an address is refused too.
func NewHTTPClient(maxConnsPerHost int, allowPrivate bool) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4 * maxConnsPerHost
	transport.MaxIdleConnsPerHost = maxConnsPerHost
	transport.TLSHandshakeTimeout = 10 * time.Second
	transport.ResponseHeaderTimeout = 5 * time.Minute
	if !allowPrivate {
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate}
		transport.DialContext = dialer.DialContext
		// A proxy would be the address dialled, and the target could not be checked.
		transport.Proxy = nil
	}
	return &http.Client{Transport: transport}
}
