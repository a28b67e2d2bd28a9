package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

// received is one request a loopback stand-in for a service got.
type received struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// json decodes the request's body.
func (r received) json(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return out
}

// service starts a loopback stand-in that answers status and passes on each request.
func service(t *testing.T, status int) (string, <-chan received) {
	t.Helper()
	got := make(chan received, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: b}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

// loopbackSender sends through a client that may reach loopback stand-ins.
func loopbackSender() *Sender {
	return NewSender(task.NewExecutor(task.NewHTTPClient(2, true), task.MailConfig{}), "https://cron.example.com", 5*time.Second)
}

// failingEvent is the failing notice of job 7's third episode.
func failingEvent() Event {
	at := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	return Event{Event: Failing, Job: &EventJob{ID: 7, Name: "Nightly backup"}, ConsecutiveFailures: 3, At: at, Episode: 3,
		Run: &EventRun{ID: 42, Status: "permanently_failed", Error: "HTTP 503", ScheduledAt: at}}
}

// path returns a JSON value by its keys and indexes ("payload", "summary").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// TestEachChannelTypeSpeaksItsServicesAPI sends a failing notice through each channel type to a
// loopback stand-in and checks the request as the service documents it.
func TestEachChannelTypeSpeaksItsServicesAPI(t *testing.T) {
	t.Parallel()
	const subject = "Failing: Nightly backup failed 3 runs in a row"
	const runLink = "https://cron.example.com/runs/42"
	for name, tc := range map[string]struct {
		config func(base string) map[string]string
		status int
		check  func(t *testing.T, r received)
	}{
		"discord": {func(b string) map[string]string { return map[string]string{"url": b + "/api/webhooks/1/tok"} }, 204,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/api/webhooks/1/tok")
				b := r.json(t)
				if !strings.HasPrefix(b["content"].(string), subject) || len(path(b, "allowed_mentions", "parse").([]any)) != 0 {
					t.Errorf("discord body = %s", r.Body)
				}
			}},
		"teams": {func(b string) map[string]string {
			return map[string]string{"url": b + "/workflows/x/triggers/manual/paths/invoke"}
		}, 202,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/workflows/x/triggers/manual/paths/invoke")
				b := r.json(t)
				card := path(b, "attachments", 0, "content")
				if b["type"] != "message" || path(b, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" ||
					path(card, "type") != "AdaptiveCard" || path(card, "body", 0, "type") != "TextBlock" ||
					path(card, "body", 0, "text") != subject+"." || path(card, "actions", 0, "url") != runLink {
					t.Errorf("teams body = %s", r.Body)
				}
			}},
		"google_chat": {func(b string) map[string]string {
			return map[string]string{"url": b + "/v1/spaces/AAA/messages?key=k&token=t"}
		}, 200,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/v1/spaces/AAA/messages")
				if r.RawQuery != "key=k&token=t" || !strings.HasPrefix(r.json(t)["text"].(string), subject) {
					t.Errorf("google chat request = %s?%s %s", r.Path, r.RawQuery, r.Body)
				}
			}},
		"mattermost": {func(b string) map[string]string { return map[string]string{"url": b + "/hooks/xyz"} }, 200,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/hooks/xyz")
				if !strings.HasPrefix(r.json(t)["text"].(string), subject) {
					t.Errorf("mattermost body = %s", r.Body)
				}
			}},
		"telegram": {func(b string) map[string]string {
			return map[string]string{"bot_token": "123456:ABC-def_1", "chat_id": "-1001234", "api_url": b}
		}, 200, func(t *testing.T, r received) {
			expect(t, r, http.MethodPost, "/bot123456:ABC-def_1/sendMessage")
			b := r.json(t)
			if b["chat_id"] != "-1001234" || !strings.HasPrefix(b["text"].(string), subject) || b["parse_mode"] != nil {
				t.Errorf("telegram body = %s", r.Body)
			}
		}},
		"pagerduty": {func(b string) map[string]string { return map[string]string{"routing_key": "R0UT1NGKEY", "api_url": b} }, 202,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/v2/enqueue")
				b := r.json(t)
				if b["routing_key"] != "R0UT1NGKEY" || b["event_action"] != "trigger" || b["dedup_key"] != "cronflow-job-7-episode-3" ||
					path(b, "payload", "summary") != subject || path(b, "payload", "source") != "https://cron.example.com/jobs/7" ||
					path(b, "payload", "severity") != "error" {
					t.Errorf("pagerduty body = %s", r.Body)
				}
			}},
		"opsgenie": {func(b string) map[string]string { return map[string]string{"api_key": "g3n13-key", "api_url": b} }, 202,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/v2/alerts")
				b := r.json(t)
				if r.Header.Get("Authorization") != "GenieKey g3n13-key" || b["alias"] != "cronflow-job-7-episode-3" ||
					b["message"] != subject || b["priority"] != "P2" {
					t.Errorf("opsgenie request = %v %s", r.Header, r.Body)
				}
			}},
		"ntfy": {func(b string) map[string]string {
			return map[string]string{"url": b + "/cronflow-alerts", "token": "tk_abc"}
		}, 200,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/")
				b := r.json(t)
				if r.Header.Get("Authorization") != "Bearer tk_abc" || b["topic"] != "cronflow-alerts" || b["title"] != subject ||
					b["priority"] != 4.0 || path(b, "tags", 0) != "rotating_light" || b["click"] != runLink {
					t.Errorf("ntfy request = %v %s", r.Header, r.Body)
				}
			}},
		"gotify": {func(b string) map[string]string { return map[string]string{"url": b, "token": "AppT0ken"} }, 200,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/message")
				b := r.json(t)
				if r.Header.Get("X-Gotify-Key") != "AppT0ken" || b["title"] != subject || b["priority"] != 8.0 ||
					!strings.Contains(b["message"].(string), runLink) {
					t.Errorf("gotify request = %v %s", r.Header, r.Body)
				}
			}},
		"pushover": {func(b string) map[string]string {
			return map[string]string{"user_key": "uQiRzpo4", "app_token": "azGDORe", "api_url": b}
		}, 200,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/1/messages.json")
				form, err := url.ParseQuery(string(r.Body))
				if err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || form.Get("token") != "azGDORe" ||
					form.Get("user") != "uQiRzpo4" || form.Get("title") != subject || form.Get("url") != runLink || form.Get("message") == "" {
					t.Errorf("pushover request = %v %s", r.Header, r.Body)
				}
			}},
		"matrix": {func(b string) map[string]string {
			return map[string]string{"homeserver": b, "access_token": "syt_t0ken", "room_id": "!room:example.org"}
		}, 200, func(t *testing.T, r received) {
			expect(t, r, http.MethodPut, "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/key-1")
			b := r.json(t)
			if r.Header.Get("Authorization") != "Bearer syt_t0ken" || b["msgtype"] != "m.text" || !strings.HasPrefix(b["body"].(string), subject) ||
				b["formatted_body"] != nil {
				t.Errorf("matrix request = %v %s", r.Header, r.Body)
			}
		}},
		"alertmanager": {func(b string) map[string]string { return map[string]string{"url": b} }, 200,
			func(t *testing.T, r received) {
				expect(t, r, http.MethodPost, "/api/v2/alerts")
				var alerts []map[string]any
				if err := json.Unmarshal(r.Body, &alerts); err != nil || len(alerts) != 1 {
					t.Fatalf("alertmanager body = %s, %v", r.Body, err)
				}
				a := alerts[0]
				if path(a, "labels", "alertname") != "CronflowJobFailing" || path(a, "labels", "job") != "Nightly backup" ||
					path(a, "labels", "severity") != "error" || a["startsAt"] != "2026-03-01T02:30:00Z" || a["endsAt"] != nil ||
					path(a, "annotations", "summary") != subject || a["generatorURL"] != runLink {
					t.Errorf("alertmanager alert = %s", r.Body)
				}
			}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, got := service(t, tc.status)
			raw, _ := json.Marshal(tc.config(base))
			config, problems := Validate(name, raw)
			if len(problems) > 0 {
				t.Fatalf("Validate = %v", problems)
			}
			if _, err := loopbackSender().Send(context.Background(), Channel{Type: name, Config: config}, failingEvent(), "key-1"); err != nil {
				t.Fatalf("Send = %v", err)
			}
			r := receive(t, got)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/") {
				t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
			}
			tc.check(t, r)
		})
	}
}

// expect checks a request's method and path.
func expect(t *testing.T, r received, method, p string) {
	t.Helper()
	if r.Method != method || r.Path != p {
		t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, method, p)
	}
}
