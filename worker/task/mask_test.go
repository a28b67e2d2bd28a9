package task

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMaskPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, taskType, payload string
		hidden                  []string
		kept                    []string
	}{
		{"SlackWebhookPathIsHidden", "slack", `{"webhook_url": "https://hooks.slack.com/services/T0/B0/SECRET", "text": "hi"}`,
			[]string{"SECRET", "T0/B0"}, []string{"hooks.slack.com", `"text":"hi"`}},
		{"PasswordInAURLIsHidden", "ping", `{"url": "https://user:hunter2@example.com/health"}`,
			[]string{"hunter2"}, []string{"user", "example.com/health"}},
		{"TokenInAQueryIsHidden", "webhook", `{"url": "https://example.com/hook?token=abc123&x=1", "body": {"a": 1}}`,
			[]string{"abc123"}, []string{"example.com/hook", "token="}},
		{"EmailIsUntouched", "email", `{"to": ["a@example.com"], "subject": "s", "body": "b"}`,
			nil, []string{"a@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(Mask(tt.taskType, []byte(tt.payload)))
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("masked payload %s still shows %q", got, h)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("masked payload %s lost %q", got, k)
				}
			}
		})
	}
}

func TestARunErrorNeverShowsTheSlackSecret(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(1, true), MailConfig{})
	payload := []byte(`{"webhook_url": "http://127.0.0.1:1/services/T0/B0/SLACKSECRET", "text": "hi"}`)
	_, err := e.Execute(context.Background(), "slack", 5*time.Second, Task{Payload: payload})
	if err == nil || strings.Contains(err.Error(), "SLACKSECRET") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("error = %v; want one that names the host but not the secret path", err)
	}
}

// Templates stay visible (issue 27, item 10): a URL's template references are no secrets, so a
// list shows them as written; literal values that look secret are still masked.
func TestMaskKeepsTemplateReferencesAndMasksLiteralSecrets(t *testing.T) {
	t.Parallel()
	got := string(Mask("webhook", []byte(`{"url": "https://example.com/hooks/{{job.id}}/4f9Qz7KpW2xLmN8rT3vB?key={{secret.HOOK_KEY}}&token=abc123"}`)))
	for _, kept := range []string{"/hooks/{{job.id}}/", "key={{secret.HOOK_KEY}}"} {
		if !strings.Contains(got, kept) {
			t.Errorf("Mask hides the template %q: %s", kept, got)
		}
	}
	for _, secret := range []string{"4f9Qz7KpW2xLmN8rT3vB", "abc123"} {
		if strings.Contains(got, secret) {
			t.Errorf("Mask shows the literal secret %q: %s", secret, got)
		}
	}
}
