package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAProvidersUserUsesAPasskeyOnlyAfterTheProvider(t *testing.T) {
	t.Parallel()
	o := setupOIDC(t, "*=editor", func(c *AuthConfig) { c.PublicURL = passkeyURL })
	rec, _, _ := o.signInAs("dana")
	first := sessionOf(rec)
	if rec.Code != http.StatusSeeOther || first == "" {
		t.Fatalf("first sign-in: %d", rec.Code)
	}
	a := newSoftAuthenticator(t, passkeyOrigin)
	o.registerPasskey(first, a, "laptop")

	t.Run("APasswordlessSignInIsRefused", func(t *testing.T) {
		start := o.begin("", "/login/passkey/begin", `{"next":"/jobs"}`)
		rec := o.ceremonyPost("", "/login/passkey/finish", finishBody(start.Flow, a.get(start.Options)))
		msg := o.expectProblem(rec, http.StatusForbidden, "")
		if !strings.Contains(msg.Error, "Test IdP") || sessionOf(rec) != "" {
			t.Errorf("refusal %q, session %q", msg.Error, sessionOf(rec))
		}
	})
	t.Run("APasskeyStillServesAsTheSecondStep", func(t *testing.T) {
		rec, _, _ := o.signInAs("dana")
		cookie := sessionOf(rec)
		if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/login/second-factor") {
			t.Fatalf("sign-in of a user with a passkey went to %q", loc)
		}
		status, redirect, _ := o.signInWith(cookie, "/login/second-factor/passkey", a)
		if status != http.StatusOK || redirect != "/jobs" {
			t.Fatalf("second step: %d to %q", status, redirect)
		}
		if code := o.send(http.MethodGet, "/jobs", nil, "Cookie", cookie).Code; code != http.StatusOK {
			t.Errorf("/jobs after the provider and the passkey: %d", code)
		}
	})
}

func TestOIDCSignInsBegunAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	o := setupOIDC(t, "*=viewer")
	// 30 at once, then one every 2 s: on a slow machine a few more may pass before the refusal.
	passed := 0
	for ; passed < 100; passed++ {
		rec := o.send(http.MethodGet, "/login/oidc", nil)
		if rec.Code == http.StatusTooManyRequests {
			if rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "Too many sign-ins") {
				t.Errorf("refusal without Retry-After or reason: %v %.200s", rec.Header(), rec.Body)
			}
			if rec.Header().Get("Set-Cookie") != "" {
				t.Error("a refused start set a state cookie")
			}
			break
		}
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("start %d: %d", passed, rec.Code)
		}
	}
	if passed < 30 || passed == 100 {
		t.Errorf("%d sign-ins begun before a refusal, want at least 30 and then a refusal", passed)
	}
}

func TestAProvidersErrorIsShownOnlyAfterTheStateAndInOurWords(t *testing.T) {
	t.Parallel()
	o := setupOIDC(t, "*=viewer")
	const planted = "Your account is locked: call +1 555 0100 and read out your password"
	start := o.send(http.MethodGet, "/login/oidc", nil)
	loc, err := url.Parse(start.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cookie := ""
	for _, c := range start.Result().Cookies() {
		if c.Name == oidcCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	q := url.Values{"error": {"access_denied"}, "error_description": {planted}}
	t.Run("WithoutThisBrowsersStateItIsAStaleSignIn", func(t *testing.T) {
		rec := o.send(http.MethodGet, "/login/oidc/callback?"+q.Encode(), nil)
		if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), "locked") {
			t.Errorf("forged error callback: %d %.300s", rec.Code, rec.Body)
		}
	})
	t.Run("WithItAFixedMessageIsShown", func(t *testing.T) {
		q.Set("state", loc.Query().Get("state"))
		rec := o.send(http.MethodGet, "/login/oidc/callback?"+q.Encode(), nil, "Cookie", cookie)
		doc := o.parse(rec, http.StatusUnauthorized)
		got := find(t, doc, "signin-refused-reason").Text()
		if strings.Contains(got, "locked") || !strings.Contains(got, "did not sign you in") {
			t.Errorf("reason %q", got)
		}
	})
}

func TestAnEmailNamesAUserOnlyWhenTheProviderVerifiedIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		claims map[string]any
		want   string
	}{
		{map[string]any{"preferred_username": "pat", "email": "boss@example.test", "email_verified": true}, "pat"},
		{map[string]any{"email": "boss@example.test", "email_verified": true}, "boss@example.test"},
		{map[string]any{"email": "boss@example.test", "email_verified": "true"}, "boss@example.test"}, // as some providers send it
		{map[string]any{"email": "boss@example.test", "email_verified": false}, "sub-1"},
		{map[string]any{"email": "boss@example.test"}, "sub-1"},
		{map[string]any{"email": "boss@example.test", "email_verified": "yes"}, "sub-1"},
	} {
		if got := oidcUsername(c.claims, "sub-1"); got != c.want {
			t.Errorf("%v: %q, want %q", c.claims, got, c.want)
		}
	}
}
