package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

// The sign-in end to end through zitadel's OpenID provider, a real one written by others.

func TestOIDCSignInThroughZitadel(t *testing.T) {
	t.Parallel()
	z := setupZitadel(t, "ops=admin,dev=editor")
	t.Run("ASignInCreatesTheUserWithTheMappedRole", func(t *testing.T) {
		rec, _, _ := z.signIn("ann", "ops")
		cookie := sessionOf(rec)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/runs" || cookie == "" {
			t.Fatalf("callback: %d to %q; body %.300s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if r := z.roleOf("ann"); r != "admin" {
			t.Errorf("role %q, want admin", r)
		}
		if code := z.send(http.MethodGet, "/settings/users", nil, "Cookie", cookie).Code; code != http.StatusOK {
			t.Errorf("admin page: %d", code)
		}
	})
	t.Run("TheRoleIsMappedAgainAtTheNextSignIn", func(t *testing.T) {
		if rec, _, _ := z.signIn("ann", "dev"); sessionOf(rec) == "" {
			t.Fatalf("callback: %d", rec.Code)
		}
		if r := z.roleOf("ann"); r != "editor" {
			t.Errorf("role %q, want editor", r)
		}
	})
	t.Run("AGroupThatMapsToNoRoleIsRefused", func(t *testing.T) {
		rec, _, _ := z.signIn("ben", "interns")
		z.parse(rec, http.StatusForbidden)
		if sessionOf(rec) != "" || z.roleOf("ben") != "" {
			t.Error("a refused mapping made a session or a user")
		}
	})
	t.Run("AKeyRotationAtTheProviderIsFollowed", func(t *testing.T) {
		before := z.idp.publishedKeyIDs()
		z.idp.rotate()
		if after := z.idp.publishedKeyIDs(); len(after) != 1 || len(before) != 1 || after[0] == before[0] {
			t.Fatalf("the provider published keys %v, then %v", before, after)
		}
		if rec, _, _ := z.signIn("ann", "ops"); sessionOf(rec) == "" {
			t.Fatalf("after the rotation: %d %.300s", rec.Code, rec.Body)
		}
	})
}

func TestOIDCThroughZitadelRefusesBadStatesAndReplayedCodes(t *testing.T) {
	t.Parallel()
	z := setupZitadel(t, "*=viewer")
	t.Run("AStateOfAnotherBrowserIsRefused", func(t *testing.T) {
		z.idp.signInNext("cat")
		authorize, _ := z.start()
		callback := z.atProvider(authorize)
		_, otherCookie := z.start()
		for name, header := range map[string][]string{"NoCookie": nil, "AnotherFlowsCookie": {"Cookie", otherCookie}} {
			if rec := z.send(http.MethodGet, callback, nil, header...); rec.Code != http.StatusBadRequest || sessionOf(rec) != "" {
				t.Errorf("%s: %d", name, rec.Code)
			}
		}
	})
	t.Run("ACodeUsedOnceIsRefusedByTheProvider", func(t *testing.T) {
		rec, used, usedCookie := z.signIn("dan")
		if sessionOf(rec) == "" {
			t.Fatalf("first sign-in: %d", rec.Code)
		}
		// The same callback again: its flow is spent at Cronflow.
		if again := z.send(http.MethodGet, used, nil, "Cookie", usedCookie); again.Code != http.StatusBadRequest || sessionOf(again) != "" {
			t.Errorf("the same callback again: %d", again.Code)
		}
		// The same code under a new flow of this browser, so that Cronflow takes it to the provider.
		authorize, cookie := z.start()
		loc, _ := url.Parse(authorize)
		old, _ := url.Parse(used)
		q := old.Query()
		q.Set("state", loc.Query().Get("state"))
		again := z.send(http.MethodGet, "/login/oidc/callback?"+q.Encode(), nil, "Cookie", cookie)
		z.parse(again, http.StatusForbidden)
		if sessionOf(again) != "" {
			t.Error("a replayed code made a session")
		}
		z.idp.mu.Lock()
		defer z.idp.mu.Unlock()
		if z.idp.unknownCodes == 0 { // golang.org/x/oauth2 tries twice: client secret in a header, then in the body
			t.Error("the provider was never asked for the spent code")
		}
	})
}
