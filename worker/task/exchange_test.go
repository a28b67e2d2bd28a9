package task

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTheExchangeKeepsTheRequestAndAnswerWithSecretsAsReferences(t *testing.T) {
	t.Parallel()
	const value = "s3cr3t-value-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc"})
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(r.Header.Get("X-Api-Key") + strings.Repeat("x", MaxExchangeBody+10)))
	}))
	t.Cleanup(srv.Close)
	x := new(Exchange)
	payload := `{"url": "` + srv.URL + `/hook?key={{secrets.KEY}}&password=hunter2&page=2", "headers": {"X-Api-Key": "{{secrets.KEY}}",
		"Authorization": "Basic literal-credential"}, "body": {"token": "{{secrets.KEY}}"}}`
	out, err := NewExecutor(srv.Client(), MailConfig{}).Execute(context.Background(), "webhook", 5*time.Second,
		Task{RunID: 1, Payload: json.RawMessage(payload), Secrets: map[string]string{"KEY": value}, Exchange: x})
	if err == nil || !strings.HasPrefix(out, "HTTP 418") {
		t.Fatalf("output %q, error %v", out, err)
	}
	stored := x.Record()
	if strings.Contains(stored, value) || strings.Contains(stored, "hunter2") || strings.Contains(stored, "literal-credential") {
		t.Fatalf("the exchange holds a secret: %s", stored)
	}
	if want := srv.URL + "/hook?key={{secrets.KEY}}&page=2&password=xxxxx"; x.Request.URL != want {
		t.Errorf("url = %q, want %q", x.Request.URL, want)
	}
	headers := map[string]string{}
	for _, h := range append(x.Request.Headers, x.Response.Headers...) {
		headers[h.Name] = h.Value
	}
	if headers["X-Api-Key"] != "{{secrets.KEY}}" || headers["Authorization"] != "Basic xxxxx" || headers["Set-Cookie"] != "xxxxx" {
		t.Errorf("headers = %v", headers)
	}
	if x.Request.Body != `{"token":"{{secrets.KEY}}"}` && x.Request.Body != `{"token": "{{secrets.KEY}}"}` {
		t.Errorf("request body = %q", x.Request.Body)
	}
	r := x.Response
	if r.StatusCode != http.StatusTeapot || !r.BodyTruncated || r.BodyBytes != MaxExchangeBody+10+len(value) ||
		!strings.HasPrefix(r.Body, "{{secrets.KEY}}xxx") || len(r.Body) > MaxExchangeBody+len("…(truncated)") {
		t.Errorf("response %d, cut %v, %d bytes, body starts %q (%d bytes kept)", r.StatusCode, r.BodyTruncated, r.BodyBytes, r.Body[:20], len(r.Body))
	}
	if x.Timings == nil || x.Timings.TotalMs <= 0 {
		t.Errorf("timings = %+v", x.Timings)
	}
}

func TestWithoutAnExchangeNothingIsCaptured(t *testing.T) {
	t.Parallel()
	var x *Exchange
	if x.Record() != "" || new(Exchange).Record() != "" {
		t.Error("an empty exchange is stored as something")
	}
}

func TestASlackURLIsKeptAsItsHostOnly(t *testing.T) {
	t.Parallel()
	call := httpCall{url: "https://hooks.slack.com/services/T000/B000/XXXXSECRET", pathIsSecret: true}
	if got := exchangeURL(call, nil); got != "https://hooks.slack.com/xxxxx" {
		t.Errorf("slack url kept as %q", got)
	}
	if got := exchangeURL(call, map[string]string{"SLACK": call.url}); got != "{{secrets.SLACK}}" {
		t.Errorf("a slack url from a secret kept as %q", got)
	}
}
