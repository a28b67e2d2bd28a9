package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// TestBrowserRunDetail opens the page of a run that failed once and then completed (issue 27):
// its timeline shows the wait before the retry, each attempt's request and response open on a
// click, Copy as curl copies a command with the secret as a reference, Run the job now makes a
// new run, and the page, its attempts opened, fits every screen and passes axe-core.
func TestBrowserRunDetail(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	target := newFlakyTarget(t)
	env := testEnv(t)
	env["CRONFLOW_SECRET_KEY"] = newSecretKey(t)
	app := startApp(t, "serve", env)
	value := "tok-" + strings.ToLower(rand.Text())
	if code := app.call(http.MethodPost, "/api/secrets", map[string]string{"name": "API_TOKEN", "value": value}, nil); code != http.StatusCreated {
		t.Fatalf("create secret: %d", code)
	}
	job := app.createJob(map[string]any{"name": "Deliver the nightly invoices to the billing service", "type": "webhook",
		"cron": "0 0 1 1 *", "max_retries": 2, "retry_delay": "1s",
		"payload": map[string]any{"url": target + "/v1/billing/hooks/nightly-invoices?tenant=acme-corporation-europe",
			"headers": map[string]string{"Authorization": "Bearer {{secrets.API_TOKEN}}"},
			"body":    map[string]any{"event": "invoices.nightly", "batch": strings.Repeat("invoice-2026-12-06-", 20)}}})
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	app.waitRun(run.ID, "completed")
	path := fmt.Sprintf("/runs/%d", run.ID)

	b := newBrowser(t, chromium, app.URL)
	// Without CRONFLOW_ADMIN_USER the dashboard needs no login (and the test no password hashing).
	b.open(t, path)
	if n := js[int](t, b, `document.querySelectorAll('[data-testid="attempt"]').length`); n != 2 {
		t.Fatalf("the timeline shows %d attempts, want 2", n)
	}
	if got := js[string](t, b, `document.querySelector('[data-testid="step-wait"]').textContent`); !strings.Contains(got, "before retrying") {
		t.Errorf("the retry wait reads %q", got)
	}
	if got := js[string](t, b, `document.querySelector('[data-testid="run-end-to-end"]').textContent`); !strings.Contains(got, "s") {
		t.Errorf("the end-to-end duration reads %q", got)
	}
	first := `[data-testid="step-queued"] + [data-testid="attempt"] `
	b.do(t, "open the first attempt's request and response",
		chromedp.Click(chromedp.CSS(first+`[data-testid="attempt-request"] summary`)),
		chromedp.Click(chromedp.CSS(first+`[data-testid="attempt-response"] summary`)),
		chromedp.WaitVisible(chromedp.CSS(first+`[data-testid="attempt-request-body"]`)),
		chromedp.WaitVisible(chromedp.CSS(first+`[data-testid="attempt-response-body"]`)))
	if got := js[string](t, b, `document.querySelector('`+first+`[data-testid="attempt-request"]').textContent`); !strings.Contains(got, "Bearer {{secrets.API_TOKEN}}") {
		t.Errorf("the request shows %q, want the secret's reference in Authorization", got)
	}
	if got := js[string](t, b, `document.querySelector('`+first+`[data-testid="attempt-response-line"]').textContent`); got != "HTTP 503 Service Unavailable" {
		t.Errorf("the first answer reads %q", got)
	}

	b.do(t, "let the page write to the clipboard", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := cdp.Call(ctx, tg, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{Origin: app.URL,
				Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
				Setting:    cdpbrowser.PermissionSettingGranted}); err != nil {
				return err
			}
		}
		var err error
		return err
	}))
	b.do(t, "copy the first attempt as curl", chromedp.Click(chromedp.CSS(first+`[data-testid="copy-curl"]`)))
	b.waitUntil(t, 5*time.Second, "the button says it copied",
		`document.querySelector('`+first+`[data-testid="copy-curl"]').getAttribute("data-copied") === "true"`)
	curl := js[string](t, b, `document.querySelector('`+first+`[data-testid="copy-curl"]').getAttribute("data-copy")`)
	for _, want := range []string{"curl -X 'POST' '" + target + "/v1/billing/hooks/nightly-invoices", `-H 'Authorization: Bearer '"$CRONFLOW_SECRET_API_TOKEN"`, "--data-raw '"} {
		if !strings.Contains(curl, want) {
			t.Errorf("Copy as curl gives %q, want it to hold %q", curl, want)
		}
	}
	if clip := get(t, b, "read the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText().catch(() => "")`, chromedp.EvalAwaitPromise)); clip != "" && clip != curl {
		t.Errorf("the clipboard holds %q, want the button's command", clip)
	}
	if html := js[string](t, b, `document.documentElement.outerHTML`); strings.Contains(html, value) || strings.Contains(curl, value) {
		t.Error("the run page shows the secret's value")
	}

	b.inspect(t, inspectedPage{name: "run-exchange", path: path, prepare: func(t *testing.T) {
		b.do(t, "open the first attempt's request and response",
			chromedp.Click(chromedp.CSS(first+`[data-testid="attempt-request"] summary`)),
			chromedp.Click(chromedp.CSS(first+`[data-testid="attempt-response"] summary`)),
			chromedp.WaitVisible(chromedp.CSS(first+`[data-testid="attempt-response-body"]`)))
	}})

	// A target where nothing listens: the attempt kept its request and timings, and no answer.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	_ = l.Close()
	down := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "max_retries": 0, "payload": map[string]any{"url": refused + "/health"}})
	var failed apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", down.ID), nil, &failed)
	app.waitRun(failed.ID, "permanently_failed")
	b.inspect(t, inspectedPage{name: "run-no-answer", path: fmt.Sprintf("/runs/%d", failed.ID), prepare: func(t *testing.T) {
		if got := js[string](t, b, `document.querySelector('[data-testid="attempt"] .exchange-line').textContent`); !strings.Contains(got, "no answer") {
			t.Errorf("an attempt that got no answer reads %q", got)
		}
	}})

	b.open(t, path)
	b.follow(t, "run the job now", chromedp.Click(testid("run-job-now")))
	b.waitUntil(t, 5*time.Second, "the flash links to the new run",
		fmt.Sprintf(`Array.from(document.querySelectorAll("a")).some(a => /^\/runs\/\d+$/.test(a.getAttribute("href")) && a.getAttribute("href") !== %q)`, path))
	if runs := app.runs(job.ID); len(runs) != 2 {
		t.Errorf("the job has %d runs after Run the job now, want 2", len(runs))
	}
}
