package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserPasskeys registers a passkey on the account page and signs in with it, without a
// password, in headless Chromium through its virtual authenticator (the WebAuthn domain of the
// DevTools protocol): the real pages, passkeys.js and the server's ceremonies, under the strict CSP.
// The app is reached as localhost, a name browsers accept as a relying party.
func TestBrowserPasskeys(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	const password = "browser-passkey-password"
	env := testEnv(t)
	env["CRONFLOW_ADMIN_USER"], env["CRONFLOW_ADMIN_PASSWORD"] = "admin", password
	env["CRONFLOW_PUBLIC_URL"] = "http://localhost:{port}"
	app := startApp(t, "serve", env)
	b := newBrowser(t, chromium, strings.Replace(app.URL, "127.0.0.1", "localhost", 1))
	b.do(t, "add a virtual authenticator", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
				Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
				HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true},
		})
		return err
	}))

	b.open(t, "/login")
	b.do(t, "fill the login form", chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), "admin"), chromedp.SendKeys(testid("login-password"), password))
	b.follow(t, "log in", chromedp.Click(testid("login-submit")))

	b.open(t, "/settings/account")
	b.do(t, "name the passkey", chromedp.SendKeys(testid("passkey-name"), "virtual key"))
	// passkeys.js loads the account page again once the server has the passkey.
	b.follow(t, "add a passkey", chromedp.Click(testid("passkey-add")))
	b.waitUntil(t, 10*time.Second, "the account page lists the passkey",
		`Array.from(document.querySelectorAll('[data-testid="passkey-row"]')).some(r => r.textContent.includes("virtual key"))`)

	b.follow(t, "log out", chromedp.Click(testid("logout")))
	b.open(t, "/login?next=/runs")
	b.follow(t, "sign in with the passkey", chromedp.Click(testid("login-passkey")))
	b.waitUntil(t, 10*time.Second, "the passkey sign-in lands on /runs", `location.pathname === "/runs"`)
	b.do(t, "see the logged-in navigation", chromedp.WaitVisible(testid("logout")))
	if p := b.consoleProblems(); len(p) > 0 {
		t.Errorf("console problems:\n%s", strings.Join(p, "\n"))
	}
}
