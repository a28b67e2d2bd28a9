package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAPasswordChangeFromTheEnvironmentEndsTheSessions(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	first, second := s.loginAs(testAdmin, testPassword), s.loginAs(testAdmin, testPassword)
	// A restart with another CRONFLOW_ADMIN_PASSWORD.
	if err := store.New(s.db, testAdmin, nil).EnsureAdmin(context.Background(), "environment", testAdmin, "a brand new secret"); err != nil {
		t.Fatal(err)
	}
	for _, cookie := range []string{first, second} {
		if s.loggedIn(cookie) {
			t.Error("a session from before the password change still opens pages")
		}
	}
	s.loginAs(testAdmin, "a brand new secret")
	t.Run("TheSamePasswordAgainEndsNothing", func(t *testing.T) {
		cookie := s.loginAs(testAdmin, "a brand new secret")
		if err := store.New(s.db, testAdmin, nil).EnsureAdmin(context.Background(), "environment", testAdmin, "a brand new secret"); err != nil {
			t.Fatal(err)
		}
		if !s.loggedIn(cookie) {
			t.Error("a restart with the same password ended the session")
		}
	})
}

func TestAPasswordChangeFromTheDashboardEndsTheOtherSessions(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	s.addUser("ann", "ann's old password", roleEditor)
	here, elsewhere := s.loginAs("ann", "ann's old password"), s.loginAs("ann", "ann's old password")
	t.Run("AWrongCurrentPasswordIsAProblem", func(t *testing.T) {
		code := s.postPage(here, "/settings/password", url.Values{"current": {"nope"}, "password": {"ann's new password"}, "confirm": {"ann's new password"}})
		if code != http.StatusUnprocessableEntity || !s.loggedIn(elsewhere) {
			t.Fatalf("%d", code)
		}
	})
	code := s.postPage(here, "/settings/password", url.Values{"current": {"ann's old password"}, "password": {"ann's new password"}, "confirm": {"ann's new password"}})
	if code != http.StatusSeeOther {
		t.Fatalf("change password: %d", code)
	}
	if !s.loggedIn(here) {
		t.Error("the session that changed the password was ended")
	}
	if s.loggedIn(elsewhere) {
		t.Error("another session of the user survived the password change")
	}
	s.loginAs("ann", "ann's new password")
}

func TestSignOutEverywhere(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	s.addUser("bob", "bob's password", roleViewer)
	other := s.loginAs("bob", "bob's password")
	a, b := s.loginAs(testAdmin, testPassword), s.loginAs(testAdmin, testPassword)
	page := s.send(http.MethodGet, "/settings/account", nil, "Cookie", a).Body.String()
	if n := strings.Count(page, `data-testid="session-row"`); n != 2 || strings.Count(page, `data-testid="session-current"`) != 1 {
		t.Fatalf("the account page lists %d sessions (want 2, this one marked)", n)
	}
	t.Run("OneSessionEnds", func(t *testing.T) {
		c := s.loginAs(testAdmin, testPassword)
		endLinks := regexp.MustCompile(`/settings/sessions/(\d+)/end`)
		ids := endLinks.FindAllStringSubmatch(s.send(http.MethodGet, "/settings/account", nil, "Cookie", a).Body.String(), -1)
		if len(ids) != 3 {
			t.Fatalf("%d sessions listed, want 3", len(ids))
		}
		// Each browser's own session is listed first on its own page: c's is the first on c's page.
		own := endLinks.FindStringSubmatch(s.send(http.MethodGet, "/settings/account", nil, "Cookie", c).Body.String())
		if own == nil {
			t.Fatal("c's account page lists no session")
		}
		if ids[0][1] == own[1] {
			t.Fatal("a's account page lists c's session before a's own")
		}
		if code := s.postPage(a, "/settings/sessions/"+own[1]+"/end", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("end a session: %d", code)
		}
		if s.loggedIn(c) || !s.loggedIn(a) {
			t.Fatal("ending one session did not end that one only")
		}
	})
	if code := s.postPage(a, "/settings/sessions/end-all", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", code)
	}
	if s.loggedIn(a) || s.loggedIn(b) {
		t.Error("a session survived signing out everywhere")
	}
	if !s.loggedIn(other) {
		t.Error("another user's session was ended")
	}
}

func TestAViewerSignsOutTheirOtherSessions(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	s.addUser("bob", "bob's password", roleViewer)
	here, elsewhere := s.loginAs("bob", "bob's password"), s.loginAs("bob", "bob's password")
	if code := s.postPage(here, "/settings/sessions/end-others", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("a viewer's sign out other sessions: %d", code)
	}
	if !s.loggedIn(here) || s.loggedIn(elsewhere) {
		t.Error("signing out the other sessions did not end the other one only")
	}
	// A token is no browser: it may not end its user's sessions.
	admin := s.loginAs(testAdmin, testPassword)
	code, out := s.basicJSON(http.MethodPost, "/api/tokens", testAdmin, testPassword, `{"name": "bot", "role": "editor"}`)
	if code != http.StatusCreated {
		t.Fatalf("create token: %d %v", code, out)
	}
	if code, _ := s.bearerJSON(http.MethodPost, "/settings/sessions/end-others", out["token"].(string), ""); code != http.StatusForbidden || !s.loggedIn(admin) {
		t.Errorf("a token's sign out other sessions: %d (the user's session still signed in: %v)", code, s.loggedIn(admin))
	}
}

func TestAnIdleSessionEnds(t *testing.T) {
	t.Parallel()
	// In a test transaction now() stands still, so a session is "last used" when the transaction
	// began: an idle timeout of a millisecond has passed by the next request.
	s := setupSecure(t, func(d *Deps) { d.Auth.SessionIdle = time.Millisecond })
	if cookie := s.loginAs(testAdmin, testPassword); s.loggedIn(cookie) {
		t.Fatal("a session unused for longer than the idle timeout still opens pages")
	}
}

func TestASessionEndsAtItsLifetime(t *testing.T) {
	t.Parallel()
	s := setupSecure(t, withPool(t), func(d *Deps) { d.Auth.SessionLifetime = 2 * time.Second })
	cookie := s.loginAs(testAdmin, testPassword)
	if !s.loggedIn(cookie) {
		t.Fatal("a new session does not open pages")
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.loggedIn(cookie) {
		if time.Now().After(deadline) {
			t.Fatal("a session still opens pages 10 s after its 2 s lifetime")
		}
		time.Sleep(100 * time.Millisecond) // poll
	}
}
