package task

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"https://TOKEN@host.example/path", "https://xxxxx@host.example/path"},
		{"https://user:hunter2@host.example/", "https://user:xxxxx@host.example/"},
		{"https://host.example/hook?token=abc&x=1", "https://host.example/hook?token=xxxxx&x=xxxxx"},
		{"https://hooks.example.com/api/webhooks/1234567890123/Ab3dEf5hIj7lMn9pQr1t", "https://hooks.example.com/api/webhooks/1234567890123/xxxxx"},
		{"https://host.example/hooks/123e4567-e89b-12d3-a456-426614174000", "https://host.example/hooks/xxxxx"},
		{"https://host.example/health/ready", "https://host.example/health/ready"},
		{"https://host.example/a-long-readable-path-name/v2", "https://host.example/a-long-readable-path-name/v2"},
		{"https://host.example/x#fragment", "https://host.example/x"},
		{"://not a url", "(invalid URL)"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestARunErrorNeverShowsUserInfoOrAPathSecret(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(1, true), MailConfig{})
	for typ, payload := range map[string]string{
		"ping":    `{"url": "http://USERTOKEN@127.0.0.1:1/health"}`,
		"webhook": `{"url": "http://127.0.0.1:1/hook/9sKd83JfLq02MxPz7Tbn", "body": {}}`,
	} {
		_, err := e.Execute(context.Background(), typ, 5*time.Second, Task{Payload: []byte(payload)})
		if err == nil || strings.Contains(err.Error(), "USERTOKEN") || strings.Contains(err.Error(), "9sKd83JfLq02MxPz7Tbn") ||
			!strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("%s error = %v; want one that names the host but no secret", typ, err)
		}
	}
}
