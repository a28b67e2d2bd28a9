package task

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoTarget starts a target that passes on every request it sees and answers with what answer
// writes (200 and nothing when answer is nil).
func echoTarget(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body []byte)) (string, <-chan request) {
	t.Helper()
	seen := make(chan request, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen <- request{method: r.Method, header: r.Header.Clone(), body: body, url: r.URL.String()}
		if answer != nil {
			answer(w, r, body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, seen
}

// runTask validates payload as a job of taskType would be, then executes it as attempt 2 of run 42
// of job 7, "Nightly sync", with the given secrets.
func runTask(t *testing.T, e *Executor, taskType, payload string, secrets map[string]string) (string, error) {
	t.Helper()
	stored, problems := Validate(taskType, json.RawMessage(payload))
	if problems != nil {
		t.Fatalf("Validate(%s) problems: %v", payload, problems)
	}
	task := Task{RunID: 42, JobID: 7, JobName: "Nightly sync", Attempt: 2, Payload: stored, IdempotencyKey: "run-42",
		ScheduledAt: time.Date(2026, 3, 1, 2, 30, 0, 0, time.FixedZone("CET", 3600)), Secrets: secrets,
		SigningSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	return e.Execute(context.Background(), taskType, 10*time.Second, task)
}

func TestRequestOptions(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(4, true), MailConfig{})

	for _, tc := range []struct{ typ, method string }{
		{"ping", "GET"}, {"ping", "HEAD"}, {"webhook", "POST"}, {"webhook", "PUT"}, {"webhook", "PATCH"}, {"webhook", "DELETE"},
	} {
		t.Run("MethodArrives"+tc.method+"For"+tc.typ, func(t *testing.T) {
			t.Parallel()
			url, seen := echoTarget(t, nil)
			payload := fmt.Sprintf(`{"url": %q, "method": %q, "body": {"a": 1}}`, url, strings.ToLower(tc.method))
			if tc.typ == "ping" {
				payload = fmt.Sprintf(`{"url": %q, "method": %q}`, url, tc.method)
			}
			if _, err := runTask(t, e, tc.typ, payload, nil); err != nil {
				t.Fatal(err)
			}
			if got := receive(t, seen); got.method != tc.method {
				t.Errorf("target saw %s, want %s", got.method, tc.method)
			}
		})
	}

	t.Run("HeadersAndTemplatesArriveAsConfigured", func(t *testing.T) {
		t.Parallel()
		url, seen := echoTarget(t, nil)
		payload := fmt.Sprintf(`{"url": %q, "method": "PUT",
			"headers": {"X-Run": "{{run.id}}/{{run.attempt}}", "User-Agent": "my-agent", "Content-Type": "application/vnd.api+json",
				"Authorization": "Bearer {{secrets.API_TOKEN}}"},
			"body": {"job": "{{job.name}}", "at": "{{ run.scheduled_at }}", "quote": "{{secrets.QUOTED}}", "n": 1}}`,
			url+"/jobs/{{job.id}}?name={{job.name}}")
		secrets := map[string]string{"API_TOKEN": "tok-123", "QUOTED": `say "hi"` + "\n"}
		if _, err := runTask(t, e, "webhook", payload, secrets); err != nil {
			t.Fatal(err)
		}
		got := receive(t, seen)
		for name, want := range map[string]string{"X-Run": "42/2", "User-Agent": "my-agent", "Content-Type": "application/vnd.api+json",
			"Authorization": "Bearer tok-123", "Idempotency-Key": "run-42"} {
			if v := got.header.Get(name); v != want {
				t.Errorf("%s = %q, want %q", name, v, want)
			}
		}
		if got.url != "/jobs/7?name=Nightly%20sync" {
			t.Errorf("URL = %q", got.url)
		}
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", got.body, err)
		}
		if body["job"] != "Nightly sync" || body["at"] != "2026-03-01T01:30:00Z" || body["quote"] != secrets["QUOTED"] || body["n"] != 1.0 {
			t.Errorf("body = %v", body)
		}
	})

	t.Run("ExpectedStatusesPassAndOthersFail", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			expect string
			status int
			ok     bool
		}{
			{`[201, 204]`, 204, true}, {`[201, 204]`, 200, false}, {`["200-299", 304]`, 304, true},
			{`["3xx"]`, 302, true}, {`["2xx"]`, 302, false}, {`"4xx"`, 410, true},
		} {
			url, _ := echoTarget(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if tc.status == 302 && r.URL.Path != "/final" {
					http.Redirect(w, r, "/final", http.StatusFound)
					return
				}
				w.WriteHeader(tc.status)
			})
			_, err := runTask(t, e, "ping", fmt.Sprintf(`{"url": %q, "expect_status": %s}`, url, tc.expect), nil)
			if (err == nil) != tc.ok {
				t.Errorf("expect %s, answer %d: err = %v, want ok %v", tc.expect, tc.status, err, tc.ok)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "expected")) {
				t.Errorf("expect %s, answer %d: error %v does not say what was expected", tc.expect, tc.status, err)
			}
		}
	})

	t.Run("ExpectedBodyPassesAndFails", func(t *testing.T) {
		t.Parallel()
		url, _ := echoTarget(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			_, _ = io.WriteString(w, `{"status": "healthy"}`)
		})
		if _, err := runTask(t, e, "ping", fmt.Sprintf(`{"url": %q, "expect_body": "healthy"}`, url), nil); err != nil {
			t.Errorf("healthy answer failed: %v", err)
		}
		_, err := runTask(t, e, "ping", fmt.Sprintf(`{"url": %q, "expect_body": "\"ok\""}`, url), nil)
		if err == nil || !strings.Contains(err.Error(), `does not contain "\"ok\""`) || PermanentReason(err) == "" {
			t.Errorf("err = %v (permanent: %q), want a permanent miss of the body", err, PermanentReason(err))
		}
	})

	t.Run("EchoedSecretIsMaskedInOutputAndError", func(t *testing.T) {
		t.Parallel()
		url, _ := echoTarget(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, "bad token %s, json %q", r.Header.Get("X-Key"), r.Header.Get("X-Key"))
		})
		secrets := map[string]string{"KEY": `s3cr3t"value`}
		out, err := runTask(t, e, "ping", fmt.Sprintf(`{"url": %q, "headers": {"X-Key": "{{secrets.KEY}}"}}`, url+"/{{secrets.KEY}}"), secrets)
		if err == nil {
			t.Fatal("a 400 passed")
		}
		for _, text := range []string{out, err.Error()} {
			if strings.Contains(text, "s3cr3t") {
				t.Errorf("the secret shows in %q", text)
			}
		}
		if !strings.Contains(out, "bad token {{secrets.KEY}}") {
			t.Errorf("output = %q, want the secret masked by name", out)
		}
	})

	t.Run("SignatureVerifiesWithTheStandardWebhooksAlgorithm", func(t *testing.T) {
		t.Parallel()
		url, seen := echoTarget(t, nil)
		if _, err := runTask(t, e, "webhook", fmt.Sprintf(`{"url": %q, "sign": true, "body": {"run": "{{run.id}}"}}`, url), nil); err != nil {
			t.Fatal(err)
		}
		got := receive(t, seen)
		// As a receiver verifies it: base64-decode the secret after whsec_, HMAC-SHA256 over
		// "id.timestamp.body", and compare with a "v1," signature.
		key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
		id, ts := got.header.Get("Webhook-Id"), got.header.Get("Webhook-Timestamp")
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "." + string(got.body)))
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if got.header.Get("Webhook-Signature") != want || id != "run-42" || string(got.body) != `{"run": "42"}` {
			t.Errorf("id %q, body %q, signature %q, want %q", id, got.body, got.header.Get("Webhook-Signature"), want)
		}
		if sent, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sent, 0)).Abs() > time.Minute {
			t.Errorf("timestamp %q is not now", ts)
		}
	})
}

func TestFailuresSayWhetherToRetry(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(4, true), MailConfig{})
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		permanent  bool
		after      time.Duration
		// dateAhead, if not zero, makes the target answer with an HTTP date this far ahead of the
		// moment it answers, instead of retryAfter.
		dateAhead time.Duration
	}{
		{"NotFoundIsPermanent", 404, "", true, 0, 0},
		{"UnexpectedRedirectIsPermanent", 304, "", true, 0, 0},
		{"UnavailableIsTransientWithItsRetryAfter", 503, "3", false, 3 * time.Second, 0},
		{"TooManyRequestsTakesAnHTTPDate", 429, "", false, 0, 90 * time.Second},
		{"TimeoutAnswerIsTransient", 408, "", false, 0, 0},
		{"RetryAfterOnAnotherStatusIsIgnored", 500, "60", false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var answered, until time.Time // when the target answered, and the date it sent
			url, _ := echoTarget(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				switch {
				case tc.dateAhead != 0:
					mu.Lock()
					answered = time.Now()
					// An HTTP date counts whole seconds: the date is cut to one, as the header is.
					until = answered.Add(tc.dateAhead).UTC().Truncate(time.Second)
					w.Header().Set("Retry-After", until.Format(http.TimeFormat))
					mu.Unlock()
				case tc.retryAfter != "":
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
			})
			_, err := runTask(t, e, "ping", fmt.Sprintf(`{"url": %q}`, url), nil)
			received := time.Now()
			if err == nil || (PermanentReason(err) != "") != tc.permanent {
				t.Fatalf("err = %v, permanent %q, want permanent %v", err, PermanentReason(err), tc.permanent)
			}
			got := RetryAfter(err)
			if tc.dateAhead == 0 {
				if got != tc.after {
					t.Errorf("RetryAfter = %s, want %s", got, tc.after)
				}
				return
			}
			// The wait is counted from a moment between the answer and its receipt: from the sent date,
			// it is at most the date less the answer's time, and at least the date less the receipt's.
			mu.Lock()
			longest, shortest := until.Sub(answered), until.Sub(received)
			mu.Unlock()
			if answered.IsZero() || got > longest || got < shortest {
				t.Errorf("RetryAfter = %s, want between %s and %s (the date %s)", got, shortest, longest, until.Format(http.TimeFormat))
			}
		})
	}
}

func TestRequestOptionsAreValidated(t *testing.T) {
	t.Parallel()
	many := map[string]string{}
	for i := range 21 {
		many[fmt.Sprintf("X-H%d", i)] = "v"
	}
	manyJSON, _ := json.Marshal(many)
	for _, tc := range []struct{ name, typ, payload, field, want string }{
		{"UnknownTemplateInTheURL", "ping", `{"url": "https://example.com/{{run.number}}"}`, "payload.url", "unknown template {{run.number}}"},
		{"UnknownTemplateInAHeader", "ping", `{"url": "https://example.com", "headers": {"X-A": "{{job.owner}}"}}`, "payload.headers.X-A", "unknown template"},
		{"UnknownTemplateInTheBody", "webhook", `{"url": "https://example.com", "body": {"a": "{{secret.X}}"}}`, "payload.body", "unknown template"},
		{"BadSecretName", "slack", `{"webhook_url": "https://hooks.example.com/{{secrets.api_key}}", "text": "x"}`, "payload.webhook_url", "capital letter"},
		{"UnknownTemplateInAnEmail", "email", `{"to": "a@example.com", "subject": "{{run.when}}", "body": "x"}`, "payload.subject", "unknown template"},
		{"MethodOfAnotherType", "ping", `{"url": "https://example.com", "method": "POST"}`, "payload.method", "must be GET or HEAD"},
		{"HostHeaderIsRefused", "ping", `{"url": "https://example.com", "headers": {"host": "evil"}}`, "payload.headers.host", "set by Cronflow"},
		{"IdempotencyKeyIsRefused", "webhook", `{"url": "https://example.com", "body": 1, "headers": {"Idempotency-Key": "x"}}`, "payload.headers.Idempotency-Key", "set by Cronflow"},
		{"HeaderNameWithASpace", "ping", `{"url": "https://example.com", "headers": {"X A": "v"}}`, "payload.headers.X A", "not a valid header name"},
		{"HeaderValueWithALineBreak", "ping", `{"url": "https://example.com", "headers": {"X-A": "v\r\nX-B: w"}}`, "payload.headers.X-A", "one line"},
		{"SameHeaderTwice", "ping", `{"url": "https://example.com", "headers": {"X-A": "1", "x-a": "2"}}`, "payload.headers.x-a", "given twice"},
		{"TooManyHeaders", "ping", `{"url": "https://example.com", "headers": ` + string(manyJSON) + `}`, "payload.headers", "at most 20"},
		{"HeadersNotAnObject", "ping", `{"url": "https://example.com", "headers": ["X-A: 1"]}`, "payload.headers", "must be an object"},
		{"BadStatus", "ping", `{"url": "https://example.com", "expect_status": ["2xx", 700]}`, "payload.expect_status", "700 is not an HTTP status code; use 100–599"},
		{"SignatureHeaderOnASignedWebhook", "webhook", `{"url": "https://example.com", "body": 1, "sign": true, "headers": {"webhook-id": "x"}}`, "payload.headers.webhook-id", "set by the signature"},
		{"BodyOnAHead", "ping", `{"url": "https://example.com", "method": "HEAD", "expect_body": "ok"}`, "payload.expect_body", "HEAD"},
		{"TooManyRecipientsOverCcAndBcc", "email", `{"to": ["a@x.org","b@x.org","c@x.org","d@x.org"], "cc": ["e@x.org","f@x.org","g@x.org"], "bcc": ["h@x.org","i@x.org","j@x.org","k@x.org"], "subject": "s", "body": "b"}`, "payload.to", "at most 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, problems := Validate(tc.typ, json.RawMessage(tc.payload))
			if !strings.Contains(problems[tc.field], tc.want) {
				t.Errorf("problems = %v, want %q on %s", problems, tc.want, tc.field)
			}
		})
	}
}

func TestSecretRefsAreFoundByField(t *testing.T) {
	t.Parallel()
	stored, problems := Validate("webhook", json.RawMessage(`{"url": "https://example.com/{{secrets.PATH}}",
		"headers": {"Authorization": "Bearer {{secrets.TOKEN}}", "X-B": "{{secrets.TOKEN}}"}, "body": {"k": "{{secrets.BODY_KEY}}"}}`))
	if problems != nil {
		t.Fatal(problems)
	}
	refs := SecretRefs(stored)
	if fmt.Sprint(refs["payload.url"]) != "[PATH]" || fmt.Sprint(refs["payload.headers"]) != "[TOKEN]" || fmt.Sprint(refs["payload.body"]) != "[BODY_KEY]" {
		t.Errorf("SecretRefs = %v", refs)
	}
	if all := AllSecretRefs(stored); fmt.Sprint(all) != "[BODY_KEY PATH TOKEN]" {
		t.Errorf("AllSecretRefs = %v", all)
	}
	masked := string(Mask("webhook", stored))
	if !strings.Contains(masked, `"Authorization":"Bearer {{secrets.TOKEN}}"`) {
		t.Errorf("a header naming a secret should show the reference: %s", masked)
	}
	literal, _ := Validate("ping", json.RawMessage(`{"url": "https://example.com", "headers": {"Authorization": "Bearer abc123", "Accept": "text/plain"}}`))
	if masked := string(Mask("ping", literal)); strings.Contains(masked, "abc123") || !strings.Contains(masked, "text/plain") {
		t.Errorf("a literal credential should be masked, other headers not: %s", masked)
	}
}
