package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		typ, config, want, problem string
	}{
		"EmailAddressesAreBare":     {"email", `{"to": ["Ops <ops@example.com>"], "extra": 1}`, `{"to":["ops@example.com"]}`, ""},
		"EmailOneAddressIsAList":    {"email", `{"to": "ops@example.com"}`, `{"to":["ops@example.com"]}`, ""},
		"EmailBadAddress":           {"email", `{"to": ["nobody"]}`, "", "config.to"},
		"EmailQuotedLocalPart":      {"email", `{"to": ["\"a b,c\"@example.com"]}`, "", "config.to"},
		"SlackURLIsTrimmed":         {"slack", `{"webhook_url": " https://hooks.slack.com/services/T/B/X "}`, `{"webhook_url":"https://hooks.slack.com/services/T/B/X"}`, ""},
		"SlackWithoutURL":           {"slack", `{}`, "", "config.webhook_url"},
		"WebhookNotHTTP":            {"webhook", `{"url": "file:///etc/passwd"}`, "", "config.url"},
		"WebhookKeepsOnlyItsURL":    {"webhook", `{"url": "https://example.com/in", "body": 1}`, `{"url":"https://example.com/in"}`, ""},
		"UnknownType":               {"pager", `{}`, "", "type"},
		"ConfigMissing":             {"webhook", ``, "", "config"},
		"ConfigNotAnObject":         {"webhook", `[1]`, "", "config"},
		"ProblemsNeverNameAPayload": {"email", `{"to": []}`, "", "config.to"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, problems := Validate(tc.typ, json.RawMessage(tc.config))
			if tc.problem != "" {
				if _, ok := problems[tc.problem]; !ok || len(problems) != 1 {
					t.Fatalf("problems = %v, want one on %s", problems, tc.problem)
				}
				return
			}
			if len(problems) > 0 || string(got) != tc.want {
				t.Fatalf("Validate = %s, %v; want %s", got, problems, tc.want)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	e := Event{Event: Failing, Job: &EventJob{ID: 7, Name: "Nightly backup"}, ConsecutiveFailures: 3, At: at,
		Run: &EventRun{ID: 42, Status: "permanently_failed", Error: "HTTP 503\nmore", ScheduledAt: at, url: "https://cron.example.com/runs/42"}}
	if got := Subject(e); got != "Failing: Nightly backup failed 3 runs in a row" {
		t.Errorf("Subject = %q", got)
	}
	text := Text(e)
	for _, want := range []string{"Run #42 (permanently_failed, scheduled 2026-03-01 02:30:00 UTC): HTTP 503\n", "https://cron.example.com/runs/42"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text lacks %q:\n%s", want, text)
		}
	}
	e.Event = Recovered
	if got := Subject(e); got != "Recovered: Nightly backup runs again" {
		t.Errorf("Subject = %q", got)
	}
	body, _ := json.Marshal(e)
	for _, key := range []string{`"event":"job.recovered"`, `"job":{"id":7,"name":"Nightly backup","url":""}`, `"consecutive_failures":3`,
		`"run":{"id":42,"status":"permanently_failed","error":"HTTP 503\nmore","scheduled_at":"2026-03-01T02:30:00Z"}`} {
		if !strings.Contains(string(body), key) {
			t.Errorf("webhook body lacks %s: %s", key, body)
		}
	}
}

func TestEveryTypeIsComplete(t *testing.T) {
	t.Parallel()
	for _, typ := range Types() {
		if typ.Label == "" || len(typ.Fields) == 0 || typ.PayloadFunc == nil || typ.SummaryFunc == nil ||
			typ.FormValuesFunc == nil || typ.FormConfigFunc == nil {
			t.Errorf("channel type %s is incomplete", typ.Name)
		}
		values := map[string]string{}
		for _, f := range typ.Fields {
			values[f.Name] = map[string]string{"email": "a@example.com, b@example.com"}[typ.Name]
			if values[f.Name] == "" {
				values[f.Name] = "https://example.com/hook"
			}
		}
		raw, _ := json.Marshal(typ.FormConfigFunc(values))
		stored, problems := Validate(typ.Name, raw)
		if len(problems) > 0 {
			t.Fatalf("%s: the form's settings do not validate: %v", typ.Name, problems)
		}
		back := typ.FormValuesFunc(stored)
		for k, v := range values {
			if back[k] != v {
				t.Errorf("%s: field %s comes back as %q, want %q", typ.Name, k, back[k], v)
			}
		}
	}
}
