package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cronflow/cronflow/worker/smtptest"
)

// request is what a test target saw of one request.
type request struct {
	method string
	header http.Header
	body   []byte
	url    string
}

// newTarget starts an HTTP server on 127.0.0.1 that answers every request with status and reply, and
// passes each request it saw on the returned channel.
func newTarget(t *testing.T, status int, reply string) (string, <-chan request) {
	t.Helper()
	seen := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen <- request{method: r.Method, header: r.Header.Clone(), body: body}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, seen
}

// receive waits for the one value a test server passes on, instead of sleeping.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw nothing")
		panic("unreachable")
	}
}

// run validates payload as a job of taskType would be, then executes it as run 42.
func run(t *testing.T, e *Executor, taskType, payload string) (string, error) {
	t.Helper()
	stored, problems := Validate(taskType, json.RawMessage(payload))
	if problems != nil {
		t.Fatalf("Validate(%s) problems: %v", payload, problems)
	}
	task := Task{RunID: 42, JobID: 7, Attempt: 1, Payload: stored, IdempotencyKey: "run-42"}
	return e.Execute(context.Background(), taskType, 10*time.Second, task)
}

func TestHTTPTasks(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(4, true), MailConfig{})

	t.Run("PingSendsAGetNamingCronflowAndTheRun", func(t *testing.T) {
		t.Parallel()
		url, seen := newTarget(t, http.StatusOK, "pong")
		out, err := run(t, e, "ping", fmt.Sprintf(`{"url": %q}`, url+"/health"))
		if err != nil {
			t.Fatal(err)
		}
		got := receive(t, seen)
		if got.method != http.MethodGet || !strings.Contains(got.header.Get("User-Agent"), "Cronflow") {
			t.Errorf("target saw %s with User-Agent %q", got.method, got.header.Get("User-Agent"))
		}
		if key := got.header.Get("Idempotency-Key"); key != "run-42" {
			t.Errorf("Idempotency-Key = %q, want run-42", key)
		}
		if out != "HTTP 200 OK\npong" {
			t.Errorf("output = %q", out)
		}
	})

	t.Run("SlackTextWithQuotesNewlinesAndUnicodeArrivesExactly", func(t *testing.T) {
		t.Parallel()
		url, seen := newTarget(t, http.StatusOK, "ok")
		text := "Backup \"nightly\" failed:\n\tdisk <full> & ünïcødé ✓ 🚀 \\ done"
		payload, _ := json.Marshal(map[string]string{"webhook_url": url, "text": text})
		if _, err := run(t, e, "slack", string(payload)); err != nil {
			t.Fatal(err)
		}
		got := receive(t, seen)
		var msg struct{ Text string }
		if err := json.Unmarshal(got.body, &msg); err != nil {
			t.Fatalf("target got invalid JSON %q: %v", got.body, err)
		}
		if got.method != http.MethodPost || got.header.Get("Content-Type") != "application/json" || msg.Text != text {
			t.Errorf("target saw %s %q with text %q", got.method, got.header.Get("Content-Type"), msg.Text)
		}
	})

	t.Run("WebhookBodyArrivesByteForByte", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{`{ "a": [1, 2],  "html": "<b>&</b>" }`, `"{\"already\": \"json\"}"`, `42`} {
			url, seen := newTarget(t, http.StatusAccepted, "")
			if _, err := run(t, e, "webhook", fmt.Sprintf(`{"url": %q, "body": %s}`, url, body)); err != nil {
				t.Fatal(err)
			}
			got := receive(t, seen)
			if string(got.body) != body || got.header.Get("Content-Type") != "application/json" {
				t.Errorf("target got %q as %q, want %q", got.body, got.header.Get("Content-Type"), body)
			}
		}
	})

	t.Run("ErrorStatusIsAnErrorNamingTheStatus", func(t *testing.T) {
		t.Parallel()
		url, _ := newTarget(t, http.StatusServiceUnavailable, "down for maintenance")
		out, err := run(t, e, "ping", fmt.Sprintf(`{"url": %q}`, url))
		if err == nil || err.Error() != "HTTP 503 Service Unavailable, expected 2xx" {
			t.Errorf("err = %v, want HTTP 503 Service Unavailable, expected 2xx", err)
		}
		if out != "HTTP 503 Service Unavailable\ndown for maintenance" {
			t.Errorf("output = %q", out)
		}
	})

	t.Run("LongReplyIsCutBetweenCharacters", func(t *testing.T) {
		t.Parallel()
		url, _ := newTarget(t, http.StatusOK, "a"+strings.Repeat("é", 2000))
		out, err := run(t, e, "ping", fmt.Sprintf(`{"url": %q}`, url))
		if err != nil {
			t.Fatal(err)
		}
		want := "HTTP 200 OK\na" + strings.Repeat("é", 1023) + "…(truncated)"
		if !utf8.ValidString(out) || out != want {
			t.Errorf("output is %d bytes ending %q", len(out), out[len(out)-20:])
		}
	})

	t.Run("NetworkErrorNamesTheRequestButNotThePassword", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = run(t, e, "ping", fmt.Sprintf(`{"url": "http://ann:hunter2@%s/x"}`, addr))
		if err == nil || !strings.Contains(err.Error(), "GET http://ann:") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("err = %v, want GET with a masked password", err)
		}
	})
}

// countingTransport records how much of each response body a client read, and whether it was closed.
type countingTransport struct {
	read   atomic.Int64
	closed atomic.Bool
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, c: c}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	c *countingTransport
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error {
	b.c.closed.Store(true)
	return b.ReadCloser.Close()
}

func TestHugeReplyIsReadOnlyInPartAndClosed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				chunk := []byte(strings.Repeat("x", 64<<10))
				for written := 0; written < 10<<20; written += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}))
			t.Cleanup(srv.Close)
			transport := &countingTransport{}
			e := NewExecutor(&http.Client{Transport: transport}, MailConfig{})
			out, err := run(t, e, "ping", fmt.Sprintf(`{"url": %q}`, srv.URL))
			if (err != nil) != (status != http.StatusOK) || !strings.HasPrefix(out, "HTTP ") {
				t.Errorf("err = %v, output starts %q", err, out[:min(len(out), 30)])
			}
			if read := transport.read.Load(); read > 64<<10 {
				t.Errorf("read %d bytes of the reply, want at most 64 KiB", read)
			}
			if !transport.closed.Load() {
				t.Error("the response body was not closed")
			}
		})
	}
}

func TestExecutor(t *testing.T) {
	t.Parallel()

	t.Run("HangingTargetIsCutByTheTimeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		e := NewExecutor(NewHTTPClient(4, true), MailConfig{})
		task := Task{RunID: 1, Payload: json.RawMessage(fmt.Sprintf(`{"url": %q}`, srv.URL))}
		start := time.Now()
		_, err := e.Execute(context.Background(), "ping", time.Second, task)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 1s") {
			t.Errorf("err = %v, want a timeout", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("Execute returned after %s", elapsed)
		}
	})

	t.Run("PanickingTaskIsAFailedAttempt", func(t *testing.T) {
		t.Parallel()
		e := &Executor{funcs: map[string]ExecuteFunc{
			"boom": func(context.Context, Task) (string, error) { panic("kaboom") },
		}}
		out, err := e.Execute(context.Background(), "boom", time.Second, Task{})
		if err == nil || !strings.Contains(err.Error(), "task panicked: kaboom") || out != "" {
			t.Errorf("Execute = %q, %v; want a panic error", out, err)
		}
	})
}

// newSMTPServer starts an SMTP server inside the test and returns the config to reach it and the
// channel on which it passes each message it accepts.
func newSMTPServer(t *testing.T) (MailConfig, <-chan smtptest.Message) {
	srv := smtptest.Start(t)
	cfg := MailConfig{Host: srv.Host, Port: srv.Port, Username: smtptest.Username, Password: smtptest.Password,
		From: "Cronflow <cron@example.com>", TLS: "none"}
	return cfg, srv.Messages
}

func TestEmailTask(t *testing.T) {
	t.Parallel()
	payload := func(to string) string {
		return fmt.Sprintf(`{"to": %s, "subject": "Résumé of \"nightly\" ✓", "body": "Hello,\n.dotted line\n%s ünïcødé"}`,
			to, strings.Repeat("long ", 40))
	}

	t.Run("MessageReachesEveryRecipientAfterPlainAuth", func(t *testing.T) {
		t.Parallel()
		cfg, delivered := newSMTPServer(t)
		out, err := run(t, NewExecutor(nil, cfg), "email", payload(`["ann@example.com", "Bob <bob@example.com>"]`))
		if err != nil || out != "sent to 2 recipient(s)" {
			t.Fatalf("Execute = %q, %v", out, err)
		}
		got := receive(t, delivered)
		if got.User != "cron" || got.From != "cron@example.com" || !slices.Equal(got.To, []string{"ann@example.com", "bob@example.com"}) {
			t.Errorf("server saw user %q, MAIL FROM %q, RCPT %q", got.User, got.From, got.To)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != `Résumé of "nightly" ✓` {
			t.Errorf("subject = %q, %v", subject, err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		body = bytes.TrimSuffix(body, []byte("\r\n")) // SMTP ends every message with a line break.
		if want := "Hello,\r\n.dotted line\r\n" + strings.Repeat("long ", 40) + " ünïcødé"; err != nil || string(body) != want {
			t.Errorf("body = %q, %v; want %q", body, err, want)
		}
		for name, want := range map[string]string{"From": `"Cronflow" <cron@example.com>`, "To": "ann@example.com, bob@example.com",
			"X-Cronflow-Idempotency-Key": "run-42", "Content-Type": "text/plain; charset=utf-8"} {
			if got := msg.Header.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<42.") || !strings.HasSuffix(id, "@cronflow>") {
			t.Errorf("Message-ID = %q", id)
		}
	})

	for name, tc := range map[string]struct {
		change func(*MailConfig)
		to     string
		want   string
	}{
		"MissingHostIsAnError":           {func(c *MailConfig) { c.Host = "" }, `"ann@example.com"`, "SMTP is not configured: set SMTP_HOST"},
		"WrongPasswordIsAnError":         {func(c *MailConfig) { c.Password = "guess" }, `"ann@example.com"`, "smtp AUTH PLAIN as cron"},
		"RefusedRecipientIsNamed":        {func(*MailConfig) {}, `["ann@example.com", "nobody@example.com"]`, "smtp RCPT nobody@example.com: 550"},
		"StartTLSIsRequiredWhenAskedFor": {func(c *MailConfig) { c.TLS = "starttls" }, `"ann@example.com"`, "smtp STARTTLS"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, _ := newSMTPServer(t)
			tc.change(&cfg)
			_, err := run(t, NewExecutor(nil, cfg), "email", payload(tc.to))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestValidatePayload(t *testing.T) {
	t.Parallel()
	eleven := `"a@example.com"` + strings.Repeat(`, "a@example.com"`, 10)
	tests := []struct {
		name, taskType, payload string
		want                    string   // the stored payload, when valid
		problems                []string // the keys of the problems, when not
	}{
		{"PingTrimsItsURL", "ping", `{"url": " https://example.com/health "}`, `{"url":"https://example.com/health"}`, nil},
		// Issue 21: an unknown field is named, not dropped (this case used to assert the dropping).
		{"PingRefusesUnknownFields", "ping", `{"url": "https://example.com/health", "methd": "GET"}`, "", []string{"payload.methd"}},
		{"SlackKeepsTextAsGiven", "slack", `{"webhook_url": "https://hooks.example.com/T1", "text": "a\n\"b\""}`,
			`{"webhook_url":"https://hooks.example.com/T1","text":"a\n\"b\""}`, nil},
		{"WebhookKeepsTheBodyExactly", "webhook", `{"url": "http://example.com", "body": { "a" : "<&>" }}`,
			`{"url":"http://example.com","body":{ "a" : "<&>" }}`, nil},
		{"WebhookKeepsAStringBodyAString", "webhook", `{"url": "http://example.com", "body": "{\"a\":1}"}`,
			`{"url":"http://example.com","body":"{\"a\":1}"}`, nil},
		{"EmailStoresOneAddressAsAList", "email", `{"to": "Ann <ann@example.com>", "subject": "Hi", "body": "Text"}`,
			`{"to":["ann@example.com"],"subject":"Hi","body":"Text"}`, nil},
		{"PingWithoutURL", "ping", `{}`, "", []string{"payload.url"}},
		{"PingWithRelativeURL", "ping", `{"url": "/health"}`, "", []string{"payload.url"}},
		{"PingWithFTPURL", "ping", `{"url": "ftp://example.com/file"}`, "", []string{"payload.url"}},
		{"SlackWithNothing", "slack", `{}`, "", []string{"payload.text", "payload.webhook_url"}},
		{"SlackWithTooLongText", "slack", `{"webhook_url": "https://x.example", "text": "` + strings.Repeat("é", 40001) + `"}`,
			"", []string{"payload.text"}},
		{"WebhookWithoutBody", "webhook", `{"url": "https://example.com"}`, "", []string{"payload.body"}},
		{"WebhookWithNullBodyAndHostlessURL", "webhook", `{"url": "http://", "body": null}`, "", []string{"payload.body", "payload.url"}},
		{"EmailToMalformedAddress", "email", `{"to": "ann@", "subject": "s", "body": "b"}`, "", []string{"payload.to"}},
		{"EmailToElevenRecipients", "email", `{"to": [` + eleven + `], "subject": "s", "body": "b"}`, "", []string{"payload.to"}},
		{"EmailToANumber", "email", `{"to": 5, "subject": "s", "body": "b"}`, "", []string{"payload.to"}},
		{"EmailSubjectWithNewline", "email", `{"to": "a@example.com", "subject": "Hi\r\nBcc: x@example.com", "body": "b"}`,
			"", []string{"payload.subject"}},
		{"EmailWithNothing", "email", `{}`, "", []string{"payload.body", "payload.subject", "payload.to"}},
		{"PingPayloadNotJSONAtAll", "ping", `url=https://example.com`, "", []string{"payload"}},
		{"EmailPayloadAnArray", "email", `["a@example.com"]`, "", []string{"payload"}},
		{"WebhookPayloadNull", "webhook", `null`, "", []string{"payload"}},
		{"UnknownType", "sms", `{}`, "", []string{"type"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, problems := Validate(tc.taskType, json.RawMessage(tc.payload))
			keys := slices.Sorted(maps.Keys(problems))
			if !slices.Equal(keys, tc.problems) || string(got) != tc.want {
				t.Errorf("Validate = %s, %v; want %s with problems on %v", got, problems, tc.want, tc.problems)
			}
		})
	}
}

func TestEveryTaskTypeIsCompleteAndInOrder(t *testing.T) {
	t.Parallel()
	var names []string
	for i, typ := range Types() {
		names = append(names, typ.Name)
		if typ.Order != i+1 || typ.Label == "" || len(typ.Fields) == 0 {
			t.Errorf("%s: order %d at position %d, label %q, %d fields", typ.Name, typ.Order, i+1, typ.Label, len(typ.Fields))
		}
		if typ.ValidateFunc == nil || typ.ExecutorFunc == nil || typ.SummaryFunc == nil || typ.SettingsFunc == nil ||
			typ.DefaultNameFunc == nil || typ.FormValuesFunc == nil || typ.FormPayloadFunc == nil {
			t.Errorf("%s lacks a function", typ.Name)
		}
		for _, f := range typ.Fields {
			if !strings.HasPrefix(f.Name, "payload.") || f.Label == "" || !slices.Contains([]string{"text", "url", "textarea", "select", "checkbox", "headers"}, f.Input) ||
				(f.Input == "select") != (len(f.Options) > 0) {
				t.Errorf("%s: field %+v", typ.Name, f)
			}
		}
	}
	if want := []string{"ping", "email", "slack", "webhook"}; !slices.Equal(names, want) {
		t.Errorf("types in order %v, want %v", names, want)
	}
}

func TestAPayloadSurvivesTheFormBothWays(t *testing.T) {
	t.Parallel()
	for name, stored := range map[string]string{
		"ping":    `{"url":"https://example.com/health"}`,
		"email":   `{"to":["a@example.com","b@example.com"],"subject":"Hi","body":"Hello"}`,
		"slack":   `{"webhook_url":"https://hooks.example.com/T1","text":"a\n\"b\""}`,
		"webhook": `{"url":"http://example.com","body":{"a":[1,2]}}`,
	} {
		typ, _ := Lookup(name)
		problems := map[string]string{}
		given, _ := json.Marshal(typ.FormPayloadFunc(typ.FormValuesFunc(json.RawMessage(stored)), problems))
		again, validation := Validate(name, given)
		if len(problems) > 0 || validation != nil || string(again) != stored {
			t.Errorf("%s: through the form %s became %s (%v, %v)", name, stored, again, problems, validation)
		}
	}
}
