package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/smtptest"
	"github.com/cronflow/cronflow/worker/task"
)

// hookTarget starts a loopback receiver that passes on each body it gets.
func hookTarget(t *testing.T) (string, <-chan []byte) {
	t.Helper()
	bodies := make(chan []byte, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	t.Cleanup(srv.Close)
	return srv.URL, bodies
}

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing arrived")
		panic("unreachable")
	}
}

// TestNoticesAreBuiltNotExpanded sends a notice whose job name and run error hold template
// references, Slack markup and a line break, as a job's author or a failing target may write them.
func TestNoticesAreBuiltNotExpanded(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	mailCfg := task.MailConfig{Host: smtp.Host, Port: smtp.Port, Username: smtptest.Username, Password: smtptest.Password,
		From: "cron@example.com", TLS: "none"}
	sender := NewSender(task.NewExecutor(task.NewHTTPClient(2, true), mailCfg), "https://cron.example.com", 5*time.Second)
	at := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	name := "{{run.id}} <!channel> & co\nnightly"
	e := Event{Event: Failing, Job: &EventJob{ID: 7, Name: name}, ConsecutiveFailures: 3, At: at,
		Run: &EventRun{ID: 42, Status: "permanently_failed", Error: "HTTP 500 {{x}}, expected 2xx", ScheduledAt: at}}
	send := func(typ, config string) error {
		_, err := sender.Send(context.Background(), Channel{Type: typ, Config: json.RawMessage(config)}, e, "key-1")
		return err
	}

	t.Run("Webhook", func(t *testing.T) {
		t.Parallel()
		url, bodies := hookTarget(t)
		if err := send("webhook", `{"url": "`+url+`"}`); err != nil {
			t.Fatalf("Send = %v", err)
		}
		var got Event
		if err := json.Unmarshal(receive(t, bodies), &got); err != nil || got.Job.Name != name || got.Run.Error != e.Run.Error {
			t.Errorf("webhook body = %+v, %v; want the name and error as they are", got, err)
		}
	})
	t.Run("Slack", func(t *testing.T) {
		t.Parallel()
		url, bodies := hookTarget(t)
		if err := send("slack", `{"webhook_url": "`+url+`"}`); err != nil {
			t.Fatalf("Send = %v", err)
		}
		var got struct{ Text string }
		_ = json.Unmarshal(receive(t, bodies), &got)
		for _, want := range []string{"{{run.id}} &lt;!channel&gt; &amp; co nightly failed", "HTTP 500 {{x}}"} {
			if !strings.Contains(got.Text, want) {
				t.Errorf("slack text lacks %q:\n%s", want, got.Text)
			}
		}
		if strings.Contains(got.Text, "<!channel>") {
			t.Errorf("slack text keeps the name's markup:\n%s", got.Text)
		}
	})
	t.Run("Email", func(t *testing.T) {
		t.Parallel()
		if err := send("email", `{"to": ["ops@example.com"]}`); err != nil {
			t.Fatalf("Send = %v", err)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(receive(t, smtp.Messages).Data)))
		if err != nil {
			t.Fatal(err)
		}
		if subject := msg.Header.Get("Subject"); subject != "Failing: {{run.id}} <!channel> & co nightly failed 3 runs in a row" {
			t.Errorf("subject = %q", subject)
		}
	})
}

// TestAChannelTestNamesTheRuleNotTheAnswer sends notices as "Send test" does, to a refused
// loopback receiver and to a service that is not HTTP.
func TestAChannelTestNamesTheRuleNotTheAnswer(t *testing.T) {
	t.Parallel()
	e := Event{Event: Test, Channel: "ops", At: time.Now()}
	url, bodies := hookTarget(t)
	refusing := NewSender(task.NewExecutor(task.TargetRules{}.Client(2), task.MailConfig{}), "https://cron.example.com", 5*time.Second)
	if _, err := refusing.Send(context.Background(), Channel{Type: "webhook", Config: json.RawMessage(`{"url": "` + url + `"}`)}, e, "k"); !errors.Is(err, task.ErrPrivateTarget) {
		t.Fatalf("Send to loopback = %v, want a refusal by the target rules", err)
	}
	select {
	case b := <-bodies:
		t.Fatalf("the refused receiver got %s", b)
	default:
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for c, err := l.Accept(); err == nil; c, err = l.Accept() {
			_, _ = c.Write([]byte("sink ready\r\n"))
			_ = c.Close()
		}
	}()
	allowing := NewSender(task.NewExecutor(task.TargetRules{AllowPrivate: true}.Client(2), task.MailConfig{}), "https://cron.example.com", 5*time.Second)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_, err = allowing.Send(context.Background(), Channel{Type: "webhook", Config: json.RawMessage(`{"url": "http://localhost:` + port + `/"}`)}, e, "k")
	if err == nil || strings.Contains(err.Error(), "sink") || strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("Send to a service that is not HTTP = %v, want an error without its banner or address", err)
	}
}
