package task

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Limits on a request's options.
const (
	maxHeaders        = 20
	maxHeaderValue    = 4 << 10
	maxExpectBodyText = 1 << 10
)

// refusedHeaders are headers a job may not set: the transport owns the first three, and Cronflow
// owns the idempotency key. Names are in canonical form.
var refusedHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Idempotency-Key"}

// requestInput is the request options of an HTTP task as a job's author writes them. The shared
// fields are raw, so that a wrong type is a problem on its field.
type requestInput struct {
	Method       string          `json:"method"`
	Headers      json.RawMessage `json:"headers"`
	ExpectStatus json.RawMessage `json:"expect_status"`
	ExpectBody   string          `json:"expect_body"`
}

// requestOptions is what ping and webhook payloads store of their request besides the URL: the
// method, extra headers (their values may hold templates), and what answer counts as a success.
// Defaults (the type's first method, any 2xx) are stored as nothing, so a payload says only what
// its author chose.
type requestOptions struct {
	Method       string            `json:"method,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
	ExpectStatus []statusRange     `json:"expect_status,omitempty"`
	ExpectBody   string            `json:"expect_body,omitempty"`
}

// check validates the options as given; methods are the type's methods, its default first.
func (in requestInput) check(methods []string, problems map[string]string) requestOptions {
	o := requestOptions{Method: strings.ToUpper(strings.TrimSpace(in.Method)), ExpectBody: in.ExpectBody}
	if o.Method != "" && !slices.Contains(methods, o.Method) {
		problems["payload.method"] = "must be " + orList(methods)
	} else if o.Method == methods[0] {
		o.Method = ""
	}
	o.Headers = checkHeaders(in.Headers, problems)
	var problem string
	if o.ExpectStatus, problem = checkExpectStatus(in.ExpectStatus); problem != "" {
		problems["payload.expect_status"] = problem
	} else if slices.Equal(o.ExpectStatus, defaultExpect) {
		o.ExpectStatus = nil
	}
	if len(o.ExpectBody) > maxExpectBodyText {
		problems["payload.expect_body"] = fmt.Sprintf("must be at most %d bytes", maxExpectBodyText)
	}
	return o
}

// checkHeaders reads the headers object: at most maxHeaders, valid names given once each (in any
// case), none of refusedHeaders, single-line values whose templates are known.
func checkHeaders(raw json.RawMessage, problems map[string]string) map[string]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var h map[string]string
	if json.Unmarshal(raw, &h) != nil {
		problems["payload.headers"] = "must be an object of header names and text values"
		return nil
	}
	if len(h) > maxHeaders {
		problems["payload.headers"] = fmt.Sprintf("must hold at most %d headers", maxHeaders)
		return nil
	}
	seen := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		value, canonical := h[name], http.CanonicalHeaderKey(name)
		field := "payload.headers." + name
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			problems[field] = "is not a valid header name"
		case slices.Contains(refusedHeaders, canonical):
			problems[field] = "is set by Cronflow and may not be given"
		case seen[canonical] != "":
			problems[field] = "is given twice, as " + seen[canonical] + " and " + name
		case len(value) > maxHeaderValue:
			problems[field] = fmt.Sprintf("must be at most %d bytes", maxHeaderValue)
		case !httpguts.ValidHeaderFieldValue(value):
			problems[field] = "must be one line of text"
		default:
			if problem := checkTemplates(value); problem != "" {
				problems[field] = problem
			}
		}
		seen[canonical] = name
	}
	return h
}

// orList writes ["GET", "HEAD"] as "GET or HEAD".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// checkTemplatedURL checks a URL that may hold templates: as it would be with every template
// filled in. A URL that starts with a template (a secret holding the whole URL, or its host) is
// checked only when it is filled in, before the request is sent.
func checkTemplatedURL(rawURL string) string {
	if problem := checkTemplates(rawURL); problem != "" {
		return problem
	}
	if strings.HasPrefix(strings.TrimSpace(rawURL), "{{") {
		return ""
	}
	filled, _ := withPlaceholders(rawURL)
	return checkHTTPURL(filled)
}

// redactTemplated masks rawURL as redact does, keeping its template references as written.
func redactTemplated(rawURL string, redact func(string) string) string {
	filled, restore := withPlaceholders(rawURL)
	return restore(redact(filled))
}

// redactTemplatedURL is RedactURL for a URL that may hold templates.
func redactTemplatedURL(rawURL string) string { return redactTemplated(rawURL, RedactURL) }

// requestLine is the method and the masked URL, as a job's summary and page show them.
func (o requestOptions) requestLine(def, rawURL string) string {
	return o.method(def) + " " + redactTemplatedURL(rawURL)
}

// sensitiveHeader reports whether a header's value is a credential that pages should not show.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"auth", "cookie", "key", "token", "secret", "password", "signature"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// maskHeader shows a header's value fit for a page: a credential keeps its scheme word and its
// template references but not literal text, which is masked.
func maskHeader(name, value string) string {
	if !sensitiveHeader(name) {
		return value
	}
	prefix, rest := "", value
	if scheme, after, ok := strings.Cut(value, " "); ok && !strings.Contains(scheme, "{{") {
		prefix, rest = scheme+" ", after
	}
	if strings.TrimSpace(templateRef.ReplaceAllString(rest, "")) == "" {
		return value
	}
	return prefix + "xxxxx"
}

// maskHeaders masks the credentials in a payload's "headers" object, for Mask.
func maskHeaders(fields map[string]json.RawMessage) {
	var h map[string]string
	if raw, ok := fields["headers"]; !ok || json.Unmarshal(raw, &h) != nil {
		return
	}
	for name, value := range h {
		h[name] = maskHeader(name, value)
	}
	fields["headers"], _ = json.Marshal(h)
}

// settings lists the options for a job's page; the method is shown with the URL.
func (o requestOptions) settings() []Setting {
	var out []Setting
	if len(o.Headers) > 0 {
		lines := make([]string, 0, len(o.Headers))
		for _, name := range slices.Sorted(maps.Keys(o.Headers)) {
			lines = append(lines, name+": "+maskHeader(name, o.Headers[name]))
		}
		out = append(out, Setting{Label: "Headers", Value: strings.Join(lines, "\n"), Code: true})
	}
	out = append(out, Setting{Label: "Expected status", Value: expectText(o.ExpectStatus)})
	if o.ExpectBody != "" {
		out = append(out, Setting{Label: "Expected body text", Value: o.ExpectBody})
	}
	return out
}

// method is the stored method, or the type's default for a payload stored before methods existed.
func (o requestOptions) method(def string) string {
	if o.Method == "" {
		return def
	}
	return o.Method
}

// call builds the HTTP request of one attempt: the URL and header values with their templates
// filled in for t, the method (def if none is stored), and the expected answer.
func (o requestOptions) call(t Task, def, rawURL, contentType string, body []byte) (httpCall, error) {
	u, err := t.expand(rawURL, inURL)
	if err != nil {
		return httpCall{}, err
	}
	if problem := checkHTTPURL(u); problem != "" {
		return httpCall{}, Permanent(fmt.Errorf("url, templates filled in, %s", problem), "the URL is not usable")
	}
	headers := make(map[string]string, len(o.Headers))
	for name, value := range o.Headers {
		if headers[name], err = t.expand(value, asText); err != nil {
			return httpCall{}, err
		}
	}
	return httpCall{
		method: o.method(def), url: u, shownURL: RedactURL(u), contentType: contentType, body: body,
		headers: headers, expect: o.ExpectStatus, expectBody: o.ExpectBody,
	}, nil
}
