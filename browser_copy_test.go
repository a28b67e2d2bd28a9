package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// Copy buttons (issue 27, item 12): the token shown once, a job's signing secret and ids each have
// a button that copies the value and says "Copied", in every screen mode. The test also looks at
// the sessions and audit pages with many rows (SCREENSHOTS saves them).
func TestBrowserCopyButtonsSayCopied(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	const password = "browser-copy-password"
	env := testEnv(t)
	env["CRONFLOW_ADMIN_USER"], env["CRONFLOW_ADMIN_PASSWORD"] = "admin", password
	app := startApp(t, "serve", env)
	b := newBrowser(t, chromium, app.URL)
	b.open(t, "/login")
	b.do(t, "log in", chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), "admin"), chromedp.SendKeys(testid("login-password"), password))
	// Signing in hashes the password at full cost, which a busy machine can take long over.
	signIn, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if resp, err := chromedp.RunResponse(signIn, chromedp.Click(testid("login-submit"))); err != nil || resp.Status != 200 {
		t.Fatalf("sign in: %v", err)
	}
	b.open(t, "/settings/tokens")
	b.do(t, "name a token", chromedp.SendKeys(testid("token-name"), "copy test"))
	b.follow(t, "create the token", chromedp.Click(testid("token-create")))
	b.do(t, "see the new token", chromedp.WaitVisible(testid("new-token-value")))
	token := get(t, b, "read the token", chromedp.Text(testid("new-token-value")))
	button := `document.querySelector('[data-testid="new-token"] [data-testid="copy-button"]')`
	for _, m := range screenModes {
		b.do(t, "emulate "+m.name, b.emulate(m))
		if !js[bool](t, b, button+`.getBoundingClientRect().width > 0`) {
			t.Fatalf("%s: the copy button is not shown", m.name)
		}
		if label := js[string](t, b, button+`.getAttribute("aria-label")`); label != "Copy the token" {
			t.Errorf("%s: the button's label is %q", m.name, label)
		}
		b.do(t, "press Copy", chromedp.Click(chromedp.CSS(`[data-testid="new-token"] [data-testid="copy-button"]`)))
		b.waitUntil(t, 5*time.Second, m.name+": the button to say Copied", button+`.textContent === "Copied"`)
		// Reading the clipboard back needs a permission headless Chromium does not grant; the
		// button says Copied only once writeText has succeeded, with the value it carries.
		if got := js[string](t, b, button+`.getAttribute("data-copy")`); got != token {
			t.Errorf("%s: the button copies %q, want the token", m.name, got)
		}
		b.waitUntil(t, 5*time.Second, m.name+": the button to say Copy again", button+`.textContent === "Copy"`)
	}
	b.do(t, "emulate a light desktop", b.emulate(screenModes[0]))

	// Many sessions of the admin, from other browsers, for the sessions list's pages, and changes
	// that name runs and channels, one of them deleted.
	ctx := context.Background()
	q := sqlcgen.New(app.pool(t))
	admin, err := q.UserGetByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 22 {
		if err := q.SessionInsert(ctx, sqlcgen.SessionInsertParams{TokenHash: store.HashToken(fmt.Sprint("copy", i)), UserID: admin.ID,
			ExpiresAt: time.Now().Add(time.Hour), ClientIp: fmt.Sprintf("192.0.2.%d", i+1), Method: "password", Stage: "done",
			UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0"}); err != nil {
			t.Fatal(err)
		}
	}
	job := app.createJob(map[string]any{"name": "Nightly billing export", "type": "ping", "cron": "@daily",
		"payload": map[string]any{"url": "https://example.com/hooks/{{job.id}}"}})
	ch, err := q.ChannelInsert(ctx, sqlcgen.ChannelInsertParams{Name: "ops-slack", Type: "webhook", Config: []byte(`{"url": "https://example.com/in"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, changes := range []string{
		`{"run_id": {"from": null, "to": 990001}}`,
		fmt.Sprintf(`{"alerts.channels": {"from": [], "to": [%d, 990002]}}`, ch.ID),
	} {
		if err := q.AuditInsert(ctx, sqlcgen.AuditInsertParams{Actor: "admin", Action: "job.update", Subject: "Nightly billing export",
			JobID: &job.ID, Changes: []byte(changes)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []inspectedPage{
		{name: "account-sessions", path: "/settings/account"},
		{name: "audit-names", path: "/audit"},
	} {
		b.inspect(t, p)
	}
}
