package task

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewHTTPClient returns the client of TargetRules{AllowPrivate: allowPrivate}, with no allowed
// networks or names: what tests and most callers need.
func NewHTTPClient(maxConnsPerHost int, allowPrivate bool) *http.Client {
	return TargetRules{AllowPrivate: allowPrivate}.Client(maxConnsPerHost)
}

// Client returns the client shared by every HTTP task and notification channel: bounded
// connection set-up, headers (64 KiB) and redirects, connections reused across runs, and every connection,
// each redirect's included, checked against the rules on the address being dialled, after DNS
// resolution. No proxy is used, since a proxy would be the address dialled and the target could
// not be checked.
func (r TargetRules) Client(maxConnsPerHost int) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4 * maxConnsPerHost
	transport.MaxIdleConnsPerHost = maxConnsPerHost
	transport.TLSHandshakeTimeout = 10 * time.Second
	transport.ResponseHeaderTimeout = 5 * time.Minute
	transport.MaxResponseHeaderBytes = maxResponseHeaders
	transport.DialContext = r.dialContext
	transport.Proxy = nil
	return &http.Client{Transport: transport, CheckRedirect: checkRedirect}
}

// dialContext connects to address (host:port, as the URL names it) if the rules allow the address
// it resolves to.
func (r TargetRules) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, ErrPrivateTarget
	}
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: r.control(host)}
	return d.DialContext(ctx, network, address)
}

// noRedirectsKey marks a request context whose redirects are answers to check, not to follow.
type noRedirectsKey struct{}

// errTooManyRedirects ends a chain of redirects, as net/http does after 10.
var errTooManyRedirects = errors.New("stopped after 10 redirects")

// expectsRedirect reports whether a 3xx is among the expected statuses: then a redirect is the
// answer itself.
func expectsRedirect(expect []statusRange) bool {
	for _, r := range expect {
		if r.lo <= 399 && r.hi >= 300 {
			return true
		}
	}
	return false
}

// checkRedirect follows up to 10 redirects, unless the request expects one. No hop carries a
// Referer, which would repeat the URL's query and any secret in it. A hop to another origin than
// the job's URL (scheme, host or port) carries none of the job's headers, its credentials and
// signature included, and no body: net/http would drop only Authorization and Cookie, and only
// for another host. Every hop dials through the target rules.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if req.Context().Value(noRedirectsKey{}) != nil {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errTooManyRedirects
	}
	req.Header.Del("Referer")
	if sameOrigin(req.URL, via[0].URL) {
		return nil
	}
	req.Header = http.Header{"User-Agent": {userAgent}}
	if req.Body != nil && req.Body != http.NoBody {
		_ = req.Body.Close()
	}
	req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	return nil
}

// sameOrigin reports whether two URLs have the same scheme, host and port, a missing port being
// the scheme's own.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return a.Scheme == b.Scheme && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}
