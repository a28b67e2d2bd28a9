package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/store"
)

const testClientID = "cronflow-test"

// oidcFixture is a server whose single sign-on goes to a stand-in provider.
type oidcFixture struct {
	*fixture
	idp *testProvider
}

// setupOIDC starts a server whose single sign-on goes to a stand-in provider; opts change the
// rest of its configuration.
func setupOIDC(t *testing.T, roles string, opts ...func(*AuthConfig)) *oidcFixture {
	t.Helper()
	idp := newTestProvider(t)
	rules, problems := ParseOIDCRoles(roles)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	cfg := AuthConfig{OIDC: &OIDCConfig{Issuer: idp.srv.URL, ClientID: testClientID, ClientSecret: "s3cret",
		RedirectURL: "http://cronflow.test/login/oidc/callback", Name: "Test IdP", RoleClaim: "groups", Roles: rules}}
	for _, opt := range opts {
		opt(&cfg)
	}
	f := setup(t, withAuth(cfg))
	return &oidcFixture{fixture: f, idp: idp}
}

// signInAs goes through a whole sign-in: to the provider and back with its code. It returns the
// callback's answer and the callback URL, to replay.
func (o *oidcFixture) signInAs(sub string, groups ...string) (*httptest.ResponseRecorder, string, string) {
	o.t.Helper()
	o.idp.claims = map[string]any{"sub": sub, "preferred_username": sub, "groups": groups}
	start := o.send(http.MethodGet, "/login/oidc?next=/runs", nil)
	if start.Code != http.StatusSeeOther || !strings.HasPrefix(start.Header().Get("Location"), o.idp.srv.URL+"/authorize?") {
		o.t.Fatalf("start: %d to %q", start.Code, start.Header().Get("Location"))
	}
	var stateCookie string
	for _, c := range start.Result().Cookies() {
		if c.Name == oidcCookie {
			stateCookie = c.Name + "=" + c.Value
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(start.Header().Get("Location"))
	if err != nil {
		o.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Path != "/login/oidc/callback" {
		o.t.Fatalf("provider answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	callback := back.RequestURI()
	return o.send(http.MethodGet, callback, nil, "Cookie", stateCookie), callback, stateCookie
}

// sessionOf is the session cookie an answer set, or "".
func sessionOf(rec *httptest.ResponseRecorder) string {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

func (o *oidcFixture) userRole(name string) string {
	o.t.Helper()
	u, err := o.q.UserGetByName(context.Background(), name)
	if err != nil {
		return ""
	}
	return u.Role
}

func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	o := setupOIDC(t, "ops=admin,dev=editor")
	t.Run("TheLoginPageOffersTheProvider", func(t *testing.T) {
		doc := o.page("/login", false, http.StatusOK)
		if got := find(t, doc, "login-sso").Text(); !strings.Contains(got, "Test IdP") {
			t.Errorf("button says %q", got)
		}
	})
	t.Run("AFirstSignInCreatesTheUserWithTheMappedRole", func(t *testing.T) {
		rec, _, _ := o.signInAs("alice", "ops", "other")
		cookie := sessionOf(rec)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/runs" || cookie == "" {
			t.Fatalf("callback: %d to %q; body %.300s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if r := o.userRole("alice"); r != "admin" {
			t.Errorf("role = %q, want admin", r)
		}
		if rec := o.send(http.MethodGet, "/settings/users", nil, "Cookie", cookie); rec.Code != http.StatusOK {
			t.Errorf("admin page with the new session: %d", rec.Code)
		}
		acc := o.parse(o.send(http.MethodGet, "/settings/account", nil, "Cookie", cookie), http.StatusOK)
		if got := find(t, acc, "session-method").First().Text(); got != "oidc" {
			t.Errorf("session signed in with %q, want oidc", got)
		}
	})
	t.Run("TheRoleIsReadAgainAtEverySignIn", func(t *testing.T) {
		rec, _, _ := o.signInAs("alice", "dev")
		if rec.Code != http.StatusSeeOther || sessionOf(rec) == "" {
			t.Fatalf("callback: %d", rec.Code)
		}
		if r := o.userRole("alice"); r != "editor" {
			t.Errorf("role = %q, want editor", r)
		}
	})
	t.Run("AClaimThatMapsToNoRoleIsRefusedWithAPage", func(t *testing.T) {
		rec, _, _ := o.signInAs("bob", "interns")
		doc := o.parse(rec, http.StatusForbidden)
		if got := find(t, doc, "signin-refused-reason").Text(); !strings.Contains(got, `"groups"`) {
			t.Errorf("reason %q does not name the claim", got)
		}
		if sessionOf(rec) != "" || o.userRole("bob") != "" {
			t.Error("a refused sign-in made a session or a user")
		}
	})
	t.Run("AnExistingPasswordUserIsNotTakenOver", func(t *testing.T) {
		rec, _, _ := o.signInAs(testAdmin, "ops")
		o.parse(rec, http.StatusForbidden)
		if sessionOf(rec) != "" {
			t.Error("the provider's user got a session as the password user")
		}
	})
}

func TestOIDCRefusesForgedAndReplayedCallbacks(t *testing.T) {
	t.Parallel()
	o := setupOIDC(t, "*=viewer")
	t.Run("AStateThatIsNotThisBrowsersIsRefused", func(t *testing.T) {
		_, callback, _ := o.signInAs("carol")
		o.idp.claims = map[string]any{"sub": "carol"}
		other := o.send(http.MethodGet, "/login/oidc", nil) // another flow, another state cookie
		var ck string
		for _, c := range other.Result().Cookies() {
			if c.Name == oidcCookie {
				ck = c.Name + "=" + c.Value
			}
		}
		for name, header := range map[string][]string{"NoCookie": nil, "AnotherFlowsCookie": {"Cookie", ck}} {
			if rec := o.send(http.MethodGet, callback, nil, header...); rec.Code != http.StatusBadRequest || sessionOf(rec) != "" {
				t.Errorf("%s: %d", name, rec.Code)
			}
		}
	})
	t.Run("AReplayedCallbackIsRefused", func(t *testing.T) {
		rec, callback, cookie := o.signInAs("dave")
		if rec.Code != http.StatusSeeOther || sessionOf(rec) == "" {
			t.Fatalf("first callback: %d", rec.Code)
		}
		again := o.send(http.MethodGet, callback, nil, "Cookie", cookie)
		if again.Code != http.StatusBadRequest || sessionOf(again) != "" {
			t.Errorf("replay: %d", again.Code)
		}
	})
	t.Run("AReplayedCodeInANewFlowIsRefusedByTheProvider", func(t *testing.T) {
		_, used, _ := o.signInAs("erin")
		oldCode, _ := url.Parse(used)
		_, callback, cookie := o.signInAs("erin") // spends its own code; we send the old one with its state
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("code", oldCode.Query().Get("code"))
		// The new flow was taken by its own callback: start one more and swap its code.
		start := o.send(http.MethodGet, "/login/oidc", nil)
		loc, _ := url.Parse(start.Header().Get("Location"))
		for _, c := range start.Result().Cookies() {
			if c.Name == oidcCookie {
				cookie = c.Name + "=" + c.Value
			}
		}
		q.Set("state", loc.Query().Get("state"))
		rec := o.send(http.MethodGet, "/login/oidc/callback?"+q.Encode(), nil, "Cookie", cookie)
		if rec.Code != http.StatusForbidden || sessionOf(rec) != "" {
			t.Errorf("old code: %d", rec.Code)
		}
	})
	for name, bad := range map[string]map[string]any{
		"AWrongIssuerIsRefused":   {"iss": "http://127.0.0.1:1/other"},
		"AWrongAudienceIsRefused": {"aud": "another-client"},
		"AWrongNonceIsRefused":    {"nonce": "not-the-nonce"},
		"AnExpiredTokenIsRefused": {"exp": 1000},
	} {
		t.Run(name, func(t *testing.T) {
			o.idp.override = bad
			defer func() { o.idp.override = nil }()
			rec, _, _ := o.signInAs("frank")
			if rec.Code != http.StatusForbidden || sessionOf(rec) != "" {
				t.Errorf("%d", rec.Code)
			}
		})
	}
	t.Run("ARotatedProviderKeyIsFollowed", func(t *testing.T) {
		if rec, _, _ := o.signInAs("gina"); sessionOf(rec) == "" {
			t.Fatalf("before the rotation: %d", rec.Code)
		}
		o.idp.rotate()
		if rec, _, _ := o.signInAs("gina"); sessionOf(rec) == "" {
			t.Fatalf("after the rotation: %d %.300s", rec.Code, rec.Body)
		}
	})
}

func TestParseOIDCRoles(t *testing.T) {
	t.Parallel()
	rules, problems := ParseOIDCRoles("ops=admin, dev=editor,*=viewer")
	if len(problems) > 0 || len(rules) != 3 {
		t.Fatalf("rules %v problems %v", rules, problems)
	}
	for _, c := range []struct {
		values []string
		want   store.Role
	}{{[]string{"ops"}, store.RoleAdmin}, {[]string{"dev", "ops"}, store.RoleAdmin}, {[]string{"dev"}, store.RoleEditor}, {nil, store.RoleViewer}} {
		if got, ok := roleFor(rules, c.values); !ok || got != c.want {
			t.Errorf("%v: %q %v, want %q", c.values, got, ok, c.want)
		}
	}
	if _, problems := ParseOIDCRoles("ops=root,dev"); len(problems) != 2 {
		t.Errorf("problems = %v, want two", problems)
	}
}
