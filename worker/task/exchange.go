package task

import (
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	// MaxExchangeBody is how much of a request's or response's body an attempt keeps for its page:
	// enough for the answers people debug (an error document), little enough that a run's history
	// stays small. The rest is cut, and the page says so.
	MaxExchangeBody = 16 << 10
	// maxExchangeHeaders and maxExchangeHeaderValue bound the headers kept of one side of an
	// exchange, so that a target sending hundreds cannot bloat the attempt.
	maxExchangeHeaders     = 50
	maxExchangeHeaderValue = 1 << 10
)

// Exchange is what one attempt sent and what came back, kept with the attempt so that a run can
// be debugged from its page (issue 27). An executor fills in what its task has: an HTTP task its
// Request, Response and Timings, an email its Mail. The values of the task's secrets are replaced
// by their references ({{secrets.NAME}}) and credentials in headers are masked before anything is
// put in; bodies are cut at MaxExchangeBody.
type Exchange struct {
	Request  *ExchangeRequest  `json:"request,omitempty"`
	Response *ExchangeResponse `json:"response,omitempty"`
	Timings  *Timings          `json:"timings,omitempty"`
	Mail     *MailExchange     `json:"mail,omitempty"`
	// trace measures the HTTP request's phases while it runs.
	trace *tracer
}

// Header is one header line of a request or response, as kept.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ExchangeRequest is the HTTP request an attempt sent.
type ExchangeRequest struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers"`
	Body    string   `json:"body"`
	// BodyBytes is the size of the body sent; BodyTruncated says that Body holds only its start.
	BodyBytes     int  `json:"body_bytes"`
	BodyTruncated bool `json:"body_truncated"`
}

// ExchangeResponse is the HTTP answer an attempt got.
type ExchangeResponse struct {
	StatusCode int      `json:"status_code"`
	Status     string   `json:"status"`
	Headers    []Header `json:"headers"`
	Body       string   `json:"body"`
	// BodyBytes is how much of the body was read (at most 64 KiB); BodyTruncated says that Body
	// holds only its start.
	BodyBytes     int  `json:"body_bytes"`
	BodyTruncated bool `json:"body_truncated"`
}

// MailExchange is what an email attempt can say of its exchange with the SMTP server: which
// server, and the envelope.
type MailExchange struct {
	Server string   `json:"server"`
	TLS    string   `json:"tls"`
	From   string   `json:"from"`
	To     []string `json:"to"`
}

// Record is the exchange as the attempt stores it: JSON, or "" when nothing was captured.
func (x *Exchange) Record() string {
	if x == nil || (x.Request == nil && x.Mail == nil) {
		return ""
	}
	out, err := json.Marshal(x)
	if err != nil {
		return ""
	}
	return string(out)
}

// captureRequest keeps the request about to be sent: its URL and header values with the task's
// secrets as references and other credentials masked, and the start of its body.
func (x *Exchange) captureRequest(req *http.Request, call httpCall, t Task) {
	if x == nil {
		return
	}
	body, cut := exchangeBody(string(call.body), t.Secrets)
	x.Request = &ExchangeRequest{
		Method: call.method, URL: exchangeURL(call, t.Secrets), Headers: exchangeHeaders(req.Header, t.Secrets),
		Body: body, BodyBytes: len(call.body), BodyTruncated: cut,
	}
}

// captureResponse keeps the answer: its status, headers and the start of its body. masked is the
// body as read, secrets masked already (the output is made of it too).
func (x *Exchange) captureResponse(resp *http.Response, masked string, read int, t Task) {
	if x == nil {
		return
	}
	body, cut := masked, len(masked) > MaxExchangeBody
	body = Storable(body, MaxExchangeBody)
	x.Response = &ExchangeResponse{
		StatusCode: resp.StatusCode, Status: Storable(resp.Status, 200), Headers: exchangeHeaders(resp.Header, t.Secrets),
		Body: body, BodyBytes: read, BodyTruncated: cut,
	}
}

// exchangeBody is a body as kept: secrets masked, cut at MaxExchangeBody. Masking comes before the
// cut, so that a secret across the cut cannot show its first part.
func exchangeBody(body string, secrets map[string]string) (string, bool) {
	masked := maskSecrets(body, secrets)
	return Storable(masked, MaxExchangeBody), len(masked) > MaxExchangeBody
}

// exchangeURL is the URL as kept: the task's secrets as references, a password in it masked, query
// values whose names say credential masked (unless they are secret references), and a URL whose path is its secret (Slack's) cut to
// its host, unless a secret reference stands for it.
func exchangeURL(call httpCall, secrets map[string]string) string {
	masked := maskSecrets(call.url, secrets)
	if call.pathIsSecret && masked == call.url {
		return RedactURLPath(call.url)
	}
	filled, restore := withPlaceholders(masked)
	u, err := url.Parse(filled)
	if err != nil {
		return Storable(call.shownURL, maxURLLength)
	}
	if u.User != nil {
		redactUserinfo(u)
	}
	if q := u.Query(); slices.ContainsFunc(slices.Collect(maps.Keys(q)), sensitiveHeader) {
		for k, vs := range q {
			// A value that is only secret references shows which secret went there, not its value.
			if sensitiveHeader(k) && strings.TrimSpace(templateRef.ReplaceAllString(restore(strings.Join(vs, "")), "")) != "" {
				q.Set(k, redacted)
			}
		}
		u.RawQuery = q.Encode()
	}
	return Storable(restore(u.String()), maxURLLength*2)
}

// exchangeHeaders lists headers by name, values with the task's secrets as references and the
// values of credential headers masked (maskHeader); the idempotency key, which names the run, is
// kept.
func exchangeHeaders(h http.Header, secrets map[string]string) []Header {
	out := []Header{}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, value := range h[name] {
			if len(out) == maxExchangeHeaders {
				return out
			}
			value = maskSecrets(value, secrets)
			if name != "Idempotency-Key" {
				value = maskHeader(name, value)
			}
			out = append(out, Header{Name: Storable(name, 200), Value: Storable(value, maxExchangeHeaderValue)})
		}
	}
	return out
}

// captureMail keeps an email attempt's server and envelope.
func (x *Exchange) captureMail(cfg MailConfig, from string, to []string) {
	if x == nil {
		return
	}
	tlsMode := cfg.TLS
	if tlsMode == "" {
		tlsMode = "none"
	}
	x.Mail = &MailExchange{Server: cfg.Host, TLS: tlsMode, From: from, To: slices.Clone(to)}
	if cfg.Port != 0 {
		x.Mail.Server = net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	}
}
