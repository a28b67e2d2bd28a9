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
		"EmailAddressesAreBare":     {"email", `{"to": ["Ops <ops@example.com>"]}`, `{"to":["ops@example.com"]}`, ""},
		"AnUnknownSettingIsRefused": {"email", `{"to": ["ops@example.com"], "extra": 1}`, "", "config.extra"},
		"EmailOneAddressIsAList":    {"email", `{"to": "ops@example.com"}`, `{"to":["ops@example.com"]}`, ""},
		"EmailBadAddress":           {"email", `{"to": ["nobody"]}`, "", "config.to"},
		"EmailQuotedLocalPart":      {"email", `{"to": ["\"a b,c\"@example.com"]}`, "", "config.to"},
		"SlackURLIsTrimmed":         {"slack", `{"webhook_url": " https://hooks.slack.com/services/T/B/X "}`, `{"webhook_url":"https://hooks.slack.com/services/T/B/X"}`, ""},
		"SlackWithoutURL":           {"slack", `{}`, "", "config.webhook_url"},
		"WebhookNotHTTP":            {"webhook", `{"url": "file:///etc/passwd"}`, "", "config.url"},
		"WebhookHasNoBody":          {"webhook", `{"url": "https://example.com/in", "body": 1}`, "", "config.body"},
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
		if typ.Label == "" || len(typ.Fields) == 0 || (typ.PayloadFunc == nil) == (typ.RequestFunc == nil) || typ.SummaryFunc == nil ||
			typ.FormValuesFunc == nil || typ.FormConfigFunc == nil || (typ.RequestFunc != nil && typ.SecretsFunc == nil) {
			t.Errorf("channel type %s is incomplete", typ.Name)
		}
		values := map[string]string{}
		for _, f := range typ.Fields {
			values[f.Name] = formSamples[f.Name]
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

// formSamples are valid form values for the fields that are not URLs.
var formSamples = map[string]string{
	"config.to": "a@example.com, b@example.com", "telegram.bot_token": "123:abc", "telegram.chat_id": "-100",
	"pagerduty.routing_key": "r", "opsgenie.api_key": "k", "ntfy.token": "tk_1", "gotify.token": "t",
	"pushover.user_key": "u", "pushover.app_token": "a", "matrix.access_token": "syt", "matrix.room_id": "!r:example.org",
}

func TestSettingsAreCheckedAndMasked(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		typ, config, problem string
	}{
		"DiscordURLNotHTTP":        {"discord", `{"url": "ftp://example.com/x"}`, "config.url"},
		"DiscordURLTemplate":       {"discord", `{"url": "https://example.com/{{secrets.X}}"}`, "config.url"},
		"TelegramTokenMalformed":   {"telegram", `{"bot_token": "nope", "chat_id": "1"}`, "config.bot_token"},
		"TelegramChatMissing":      {"telegram", `{"bot_token": "1:a"}`, "config.chat_id"},
		"PagerDutyKeyNotText":      {"pagerduty", `{"routing_key": ["a"]}`, "config.routing_key"},
		"PagerDutyAPIURLNotHTTP":   {"pagerduty", `{"routing_key": "a", "api_url": "javascript:alert(1)"}`, "config.api_url"},
		"OpsgenieKeyWithLineBreak": {"opsgenie", `{"api_key": "a\nb"}`, "config.api_key"},
		"NtfyWithoutTopic":         {"ntfy", `{"url": "https://ntfy.sh/"}`, "config.url"},
		"MatrixRoomAlias":          {"matrix", `{"homeserver": "https://m.example.org", "access_token": "t", "room_id": "#ops:example.org"}`, "config.room_id"},
		"GotifyTokenMissing":       {"gotify", `{"url": "https://gotify.example.com"}`, "config.token"},
		"PushoverNotAnObject":      {"pushover", `"x"`, "config"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, problems := Validate(tc.typ, json.RawMessage(tc.config))
			if _, ok := problems[tc.problem]; !ok || len(problems) != 1 {
				t.Fatalf("problems = %v, want one on %s", problems, tc.problem)
			}
		})
	}
	t.Run("DefaultsAreStoredAndSecretsMasked", func(t *testing.T) {
		t.Parallel()
		stored, problems := Validate("telegram", json.RawMessage(`{"bot_token": "123:s3cr3t", "chat_id": -100}`))
		if len(problems) > 0 || string(stored) != `{"api_url":"https://api.telegram.org","bot_token":"123:s3cr3t","chat_id":"-100"}` {
			t.Fatalf("Validate = %s, %v", stored, problems)
		}
		if m := string(Mask("telegram", stored)); strings.Contains(m, "s3cr3t") || !strings.Contains(m, `"bot_token":"xxxxx"`) {
			t.Errorf("Mask = %s", m)
		}
		if s := Summary("telegram", stored); strings.Contains(s, "s3cr3t") || s != "Telegram chat -100 via https://api.telegram.org" {
			t.Errorf("Summary = %q", s)
		}
		hook, _ := Validate("discord", json.RawMessage(`{"url": "https://discord.com/api/webhooks/1/s3cr3t"}`))
		if m := string(Mask("discord", hook)); strings.Contains(m, "s3cr3t") {
			t.Errorf("Mask = %s", m)
		}
	})
	t.Run("FormProblemsNameTheFormsFields", func(t *testing.T) {
		t.Parallel()
		got := FormProblems("telegram", map[string]string{"config.chat_id": "is required", "name": "is required"})
		if got["telegram.chat_id"] != "is required" || got["name"] != "is required" || len(got) != 2 {
			t.Errorf("FormProblems = %v", got)
		}
	})
}
