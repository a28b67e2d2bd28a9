package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

const (
	chromeLinuxUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	firefoxMacUA  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0"
)

// loginWithAgent logs in through the form from a browser that names itself ua.
func (s *secure) loginWithAgent(name, password, ua string) string {
	s.t.Helper()
	form := url.Values{"username": {name}, "password": {password}}
	rec := s.send(http.MethodPost, "/login", strings.NewReader(form.Encode()), "Sec-Fetch-Site", "same-origin", "User-Agent", ua)
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	s.t.Fatalf("login as %s: %d, no session cookie", name, rec.Code)
	return ""
}

func TestSessionsAreShownAsBrowsersInWordsTwentyAPage(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	ann := s.addUser("ann", "ann's password", roleEditor)
	ctx := context.Background()
	for i := range 21 { // older sessions, from a Mac, each at an address of its own
		err := s.q.SessionInsert(ctx, sqlcgen.SessionInsertParams{TokenHash: []byte(store.HashToken(fmt.Sprint("old", i))), UserID: ann.ID,
			ExpiresAt: time.Now().Add(time.Hour), ClientIp: fmt.Sprintf("192.0.2.%d", i+1), UserAgent: firefoxMacUA, Method: "password", Stage: stageDone})
		if err != nil {
			t.Fatal(err)
		}
	}
	cookie := s.loginWithAgent("ann", "ann's password", chromeLinuxUA)

	doc := s.parse(s.send(http.MethodGet, "/settings/account", nil, "Cookie", cookie), http.StatusOK)
	rows := doc.Find(`[data-testid="session-row"]`)
	if rows.Length() != sessionsPageSize {
		t.Fatalf("the first page lists %d sessions, want %d", rows.Length(), sessionsPageSize)
	}
	first := rows.First()
	if got := strings.TrimSpace(first.Find(`[data-testid="session-browser"]`).Text()); got != "Chrome on Linux" {
		t.Errorf("this session's browser reads %q, want Chrome on Linux", got)
	}
	if title, _ := first.Find(`[data-testid="session-browser"]`).Attr("title"); title != chromeLinuxUA {
		t.Errorf("the whole user agent is not in the title: %q", title)
	}
	if first.Find(`[data-testid="session-current"]`).Text() != "this session" {
		t.Error("the first row is not marked as this session")
	}
	if got := strings.TrimSpace(rows.Eq(1).Find(`[data-testid="session-browser"]`).Text()); got != "Firefox on macOS" {
		t.Errorf("another session's browser reads %q, want Firefox on macOS", got)
	}
	if got := doc.Find(`[data-testid="sessions-count"]`).Text(); !strings.Contains(got, "22 browsers are signed in as you; these are 1 to 20.") {
		t.Errorf("the count reads %q", got)
	}
	older, ok := doc.Find(`[data-testid="sessions-pager"] [data-testid="page-older"]`).Attr("href")
	if !ok {
		t.Fatal("no link to the next page of sessions")
	}

	t.Run("TheSecondPageListsTheRest", func(t *testing.T) {
		target, _, _ := strings.Cut(older, "#") // a browser keeps the fragment to itself
		doc := s.parse(s.send(http.MethodGet, target, nil, "Cookie", cookie), http.StatusOK)
		rows := doc.Find(`[data-testid="session-row"]`)
		if rows.Length() != 2 || doc.Find(`[data-testid="session-current"]`).Length() != 0 {
			t.Errorf("the second page lists %d sessions (this one among them: %v)", rows.Length(), doc.Find(`[data-testid="session-current"]`).Length() > 0)
		}
		if doc.Find(`[data-testid="sessions-pager"] [data-testid="page-newer"]`).Length() != 1 {
			t.Error("no link back to the first page")
		}
	})

	t.Run("SigningOutTheOthersKeepsThisSession", func(t *testing.T) {
		if code := s.postPage(cookie, "/settings/sessions/end-others", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("end others: %d", code)
		}
		if !s.loggedIn(cookie) {
			t.Fatal("this session was signed out too")
		}
		n, err := s.q.SessionCountByUser(ctx, sqlcgen.SessionCountByUserParams{UserID: ann.ID, IdleSince: time.Now().Add(-time.Hour)})
		if err != nil || n != 1 {
			t.Errorf("%d sessions left (%v), want 1", n, err)
		}
	})
}

func TestBrowserWordsNameBrowserAndSystem(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]string{
		chromeLinuxUA: "Chrome on Linux",
		firefoxMacUA:  "Firefox on macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"": "Unknown browser",
	} {
		if got := browserWords(ua); got != want {
			t.Errorf("browserWords(%.40q) = %q, want %q", ua, got, want)
		}
	}
}

func TestLastLoginIsSetByAPasswordSignIn(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	s.addUser("bea", "bea's password", roleViewer)
	lastLogin := func() any {
		code, out := s.basicJSON(http.MethodGet, "/api/users", testAdmin, testPassword, "")
		if code != http.StatusOK {
			t.Fatalf("list users: %d", code)
		}
		for _, u := range out["users"].([]any) {
			if u := u.(map[string]any); u["name"] == "bea" {
				v, ok := u["last_login_at"]
				if !ok {
					t.Fatal("the user JSON has no last_login_at")
				}
				return v
			}
		}
		t.Fatal("bea is not listed")
		return nil
	}
	if v := lastLogin(); v != nil {
		t.Fatalf("last_login_at before any sign-in = %v, want null", v)
	}
	before := time.Now().Add(-time.Second)
	s.loginAs("bea", "bea's password")
	v, _ := lastLogin().(string)
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || at.Before(before) {
		t.Fatalf("last_login_at after signing in = %q (%v), want a time after %s", v, err, before)
	}
	t.Run("TheUsersPageShowsIt", func(t *testing.T) {
		doc := s.parse(s.send(http.MethodGet, "/settings/users", nil, "Cookie", s.loginAs(testAdmin, testPassword)), http.StatusOK)
		found := false
		doc.Find(`[data-testid="user-row"]`).Each(func(_ int, row *goquery.Selection) {
			if strings.TrimSpace(row.Find(`[data-testid="user-link"]`).Text()) != "bea" {
				return
			}
			found = true
			if row.Find(`[data-testid="user-last-login"] time`).Length() != 1 {
				t.Errorf("bea's row shows no last login: %q", row.Find(`[data-testid="user-last-login"]`).Text())
			}
		})
		if !found {
			t.Error("bea is not on the users page")
		}
	})
}
