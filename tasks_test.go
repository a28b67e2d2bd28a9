package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/worker/smtptest"
)

func TestEveryTaskTypeRunsEndToEnd(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	smtp := smtptest.Start(t)
	env := testEnv(t)
	env["SMTP_HOST"], env["SMTP_PORT"], env["SMTP_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "none"
	env["SMTP_USERNAME"], env["MAIL_PASS"], env["SMTP_FROM"] = smtptest.Username, smtptest.Password, "cron@example.com"
	app := startApp(t, "serve", env)

	jobs := map[string]map[string]any{
		"ping":    {"url": tg.URL + "/health"},
		"slack":   {"webhook_url": tg.URL + "/slack", "text": "Line \"one\"\nline two ✓"},
		"webhook": {"url": tg.URL + "/hook", "body": map[string]any{"event": "tick", "n": 1}},
		"email":   {"to": []string{"ops@example.com"}, "subject": "Nightly", "body": "All good."},
	}
	for typ, payload := range jobs {
		t.Run(strings.ToUpper(typ[:1])+typ[1:]+"Completes", func(t *testing.T) {
			job := app.createJob(map[string]any{"type": typ, "cron": "0 0 1 1 *", "payload": payload})
			var run apiRun
			if code := app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run); code != http.StatusAccepted {
				t.Fatalf("run now: status %d", code)
			}
			if run.Trigger != "manual" {
				t.Errorf("trigger = %q, want manual", run.Trigger)
			}
			done := app.waitRun(run.ID, "completed")
			if done.Attempts != 1 || done.Output == "" {
				t.Errorf("completed run: attempts %d, output %q", done.Attempts, done.Output)
			}
		})
	}
	requests := strings.Join(tg.got(), "\n")
	for _, want := range []string{"GET  ", `POST application/json {"text":"Line \"one\"\nline two ✓"}`, `POST application/json {"event":"tick","n":1}`} {
		if !strings.Contains(requests, want) {
			t.Errorf("the target did not get %q; it got:\n%s", want, requests)
		}
	}
	select {
	case msg := <-smtp.Messages:
		if len(msg.To) != 1 || msg.To[0] != "ops@example.com" || msg.User != smtptest.Username {
			t.Errorf("mail server got %+v", msg)
		}
	default:
		t.Error("the mail server got no message")
	}
}
