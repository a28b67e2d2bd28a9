package handlers

import (
	"net/http"
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
