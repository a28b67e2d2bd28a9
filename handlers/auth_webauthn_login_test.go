package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/sqlcgen"
)

// signInWith runs a passkey sign-in ceremony at base ("/login/passkey" or
// "/login/second-factor/passkey") with the authenticator and returns the finish's answer.
func (f *fixture) signInWith(cookie, base string, a *softAuthenticator) (status int, redirect, session string) {
	f.t.Helper()
	start := f.begin(cookie, base+"/begin", `{"next":"/jobs"}`)
	rec := f.ceremonyPost(cookie, base+"/finish", finishBody(start.Flow, a.get(start.Options)))
	var out struct {
		Redirect string `json:"redirect"`
	}
	if rec.Code == http.StatusOK {
		f.expect(rec, http.StatusOK, &out)
	}
	return rec.Code, out.Redirect, sessionOf(rec)
}

// sessionMethod is how the session signed in, as the sessions list shows it.
func (f *fixture) sessionMethod(userID int64) []string {
	f.t.Helper()
	rows, err := f.q.SessionListByUser(context.Background(), sqlcgen.SessionListByUserParams{UserID: userID, MaxRows: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Method)
	}
	return out
}

func TestPasskeyAsSecondFactor(t *testing.T) {
	t.Parallel()
	f := setupPasskeys(t, AuthConfig{})
	_, first := f.passwordLogin()
	a := newSoftAuthenticator(t, passkeyOrigin)
	f.registerPasskey(first, a, "laptop")

	loc, cookie := f.passwordLogin()
	if loc != "/login/second-factor?next=%2Fjobs" {
		t.Fatalf("a password login of a user with a passkey went to %q", loc)
	}
	doc := f.parse(f.send(http.MethodGet, "/login/second-factor?next=/jobs", nil, "Cookie", cookie), http.StatusOK)
	find(t, doc, "second-factor-passkey")

	t.Run("AnAssertionOfAWrongOriginIsRefused", func(t *testing.T) {
		evil := *a
		evil.origin = "https://evil.test"
		if status, _, _ := f.signInWith(cookie, "/login/second-factor/passkey", &evil); status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", status)
		}
		a.count = evil.count // the authenticator's counter moved all the same
		if f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie).Code != http.StatusSeeOther {
			t.Error("the session got through with a wrong origin")
		}
	})
	t.Run("AReplayedChallengeIsRefused", func(t *testing.T) {
		old := f.begin(cookie, "/login/second-factor/passkey/begin", `{"next":"/jobs"}`)
		stale := a.get(old.Options)
		f.expect(f.ceremonyPost(cookie, "/login/second-factor/passkey/finish", finishBody(old.Flow, a.get(old.Options))), http.StatusOK, nil)
		_, cookie2 := f.passwordLogin()
		// The same flow again, and an answer to the old challenge under a new flow: both refused.
		f.expectProblem(f.ceremonyPost(cookie2, "/login/second-factor/passkey/finish", finishBody(old.Flow, stale)), http.StatusBadRequest, "")
		fresh := f.begin(cookie2, "/login/second-factor/passkey/begin", `{"next":"/jobs"}`)
		f.expectProblem(f.ceremonyPost(cookie2, "/login/second-factor/passkey/finish", finishBody(fresh.Flow, stale)), http.StatusBadRequest, "")
		if f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie2).Code != http.StatusSeeOther {
			t.Error("a replayed assertion let a session through")
		}
	})
	t.Run("AGoodAssertionLetsTheSessionThrough", func(t *testing.T) {
		_, cookie := f.passwordLogin()
		status, redirect, _ := f.signInWith(cookie, "/login/second-factor/passkey", a)
		if status != http.StatusOK || redirect != "/jobs" {
			t.Fatalf("finish: %d to %q", status, redirect)
		}
		if code := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie).Code; code != http.StatusOK {
			t.Errorf("/jobs after the second step: %d", code)
		}
		if got := f.storedPasskeys(testAdmin)[0].Authenticator.SignCount; got != a.count {
			t.Errorf("stored sign count %d, want %d", got, a.count)
		}
		if !strings.Contains(strings.Join(f.sessionMethod(f.adminID()), " "), "password+passkey") {
			t.Errorf("session methods %v", f.sessionMethod(f.adminID()))
		}
	})
}

func TestPasskeyPasswordlessSignIn(t *testing.T) {
	t.Parallel()
	f := setupPasskeys(t, AuthConfig{Require2FA: "all"})
	_, first := f.passwordLogin() // sent to enrolment: a passkey is how this user enrols
	a := newSoftAuthenticator(t, passkeyOrigin)
	f.registerPasskey(first, a, "phone")
	if code := f.send(http.MethodGet, "/jobs", nil, "Cookie", first).Code; code != http.StatusOK {
		t.Errorf("after enrolling a passkey /jobs answers %d", code)
	}

	status, redirect, session := f.signInWith("", "/login/passkey", a)
	if status != http.StatusOK || redirect != "/jobs" || session == "" {
		t.Fatalf("passwordless sign-in: %d to %q, session %q", status, redirect, session)
	}
	if code := f.send(http.MethodGet, "/jobs", nil, "Cookie", session).Code; code != http.StatusOK {
		t.Errorf("a passkey sign-in is two factors, yet /jobs answers %d", code)
	}

	t.Run("AnUnknownPasskeyIsRefused", func(t *testing.T) {
		stranger := newSoftAuthenticator(t, passkeyOrigin)
		stranger.handle = a.handle
		if status, _, session := f.signInWith("", "/login/passkey", stranger); status != http.StatusBadRequest || session != "" {
			t.Errorf("unknown passkey: %d, session %q", status, session)
		}
	})
	t.Run("AClonedAuthenticatorIsRefused", func(t *testing.T) {
		clone := *a
		clone.count = a.count - 1 // a copy of the key whose counter lags: go-webauthn's clone warning
		status, _, session := f.signInWith("", "/login/passkey", &clone)
		if status != http.StatusForbidden || session != "" {
			t.Errorf("cloned authenticator: %d, session %q", status, session)
		}
		if got := f.storedPasskeys(testAdmin)[0].Authenticator.SignCount; got != a.count {
			t.Errorf("the clone changed the stored counter to %d, want %d", got, a.count)
		}
	})
}

func TestPasskeySignInsBegunAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	f := setupPasskeys(t, AuthConfig{})
	// 30 at once, then one every 2 s: on a slow machine a few more may pass before the refusal.
	passed := 0
	for ; passed < 100; passed++ {
		rec := f.ceremonyPost("", "/login/passkey/begin", `{"next":"/"}`)
		if rec.Code == http.StatusTooManyRequests {
			f.expectProblem(rec, http.StatusTooManyRequests, "")
			if rec.Header().Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			break
		}
		f.expect(rec, http.StatusOK, nil)
	}
	if passed < 30 || passed == 100 {
		t.Errorf("%d sign-ins begun before a refusal, want at least 30 and then a refusal", passed)
	}
}
