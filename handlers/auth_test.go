package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

func TestUnauthenticatedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	t.Run("APageRedirectsToTheLoginPage", func(t *testing.T) {
		rec := l.send(http.MethodGet, "/jobs?type=ping", nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next=%2Fjobs%3Ftype%3Dping" {
			t.Fatalf("%d to %q", rec.Code, rec.Header().Get("Location"))
		}
	})
	t.Run("AnHTMXRequestIsToldToGoToTheLoginPage", func(t *testing.T) {
		rec := l.send(http.MethodGet, "/runs/table", nil, "HX-Request", "true")
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("HX-Redirect"), "/login") {
			t.Fatalf("%d, HX-Redirect %q", rec.Code, rec.Header().Get("HX-Redirect"))
		}
	})
	t.Run("TheAPIAnswers401WithJSON", func(t *testing.T) {
		for _, path := range []string{"/api/jobs", "/api/runs", "/api/stats"} {
			rec := l.send(http.MethodGet, path, nil)
			if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"error"`) ||
				rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %q", path, rec.Code, rec.Body.String())
			}
		}
		rec := l.send(http.MethodPost, "/api/jobs", strings.NewReader(`{}`), "Content-Type", "application/json")
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("POST /api/jobs: %d", rec.Code)
		}
	})
	t.Run("WrongCredentialsAreRefused", func(t *testing.T) {
		for name, header := range map[string]string{
			"WrongPassword": "Basic " + basic(testAdmin, "guess"),
			"UnknownUser":   "Basic " + basic("mallory", testPassword),
			"UnknownToken":  "Bearer cf_not-a-token",
		} {
			if rec := l.send(http.MethodGet, "/api/jobs", nil, "Authorization", header); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s: %d", name, rec.Code)
			}
		}
	})
	t.Run("HealthAndMetricsNeedNoLogin", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/login"} {
			if rec := l.send(http.MethodGet, path, nil); rec.Code != http.StatusOK {
				t.Errorf("%s: %d", path, rec.Code)
			}
		}
	})
}

func TestLoginSessionsAndLogout(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	t.Run("AWrongPasswordShowsTheFormAgain", func(t *testing.T) {
		form := url.Values{"username": {testAdmin}, "password": {"nope"}}
		rec := l.send(http.MethodPost, "/login", strings.NewReader(form.Encode()), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `data-testid="login-error"`) {
			t.Fatalf("%d", rec.Code)
		}
	})
	cookie := l.login()
	t.Run("TheSessionOpensPagesAndTheAPI", func(t *testing.T) {
		for _, path := range []string{"/", "/jobs", "/runs", "/api/jobs"} {
			if rec := l.send(http.MethodGet, path, nil, "Cookie", cookie); rec.Code != http.StatusOK {
				t.Errorf("%s: %d", path, rec.Code)
			}
		}
	})
	t.Run("LoggingOutEndsTheSession", func(t *testing.T) {
		rec := l.send(http.MethodPost, "/logout", nil, "Cookie", cookie, "Sec-Fetch-Site", "same-origin", "X-CSRF-Token", l.pageToken(cookie))
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("logout: %d", rec.Code)
		}
		if rec := l.send(http.MethodGet, "/jobs", nil, "Cookie", cookie); rec.Code != http.StatusSeeOther {
			t.Fatalf("after logout /jobs answers %d, want a redirect to the login page", rec.Code)
		}
	})
}

func TestLoginAttemptsAreRateLimited(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	form := url.Values{"username": {testAdmin}, "password": {"guess"}}.Encode()
	codes := []int{}
	for range 7 {
		rec := l.send(http.MethodPost, "/login", strings.NewReader(form), "Sec-Fetch-Site", "same-origin")
		codes = append(codes, rec.Code)
	}
	if codes[0] != http.StatusUnauthorized || codes[len(codes)-1] != http.StatusTooManyRequests {
		t.Fatalf("status codes of 7 quick wrong logins: %v, want 401 first and 429 last", codes)
	}
}

func TestForwardedHeadersAreBelievedOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	form := url.Values{"username": {testAdmin}, "password": {"guess"}}.Encode()
	var last int
	for i := range 8 {
		// Every attempt claims to come from another client; the peer is the same.
		rec := l.send(http.MethodPost, "/login", strings.NewReader(form), "Sec-Fetch-Site", "same-origin",
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		last = rec.Code
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the 8th wrong login with a made-up X-Forwarded-For got %d, want 429", last)
	}
}

func TestSuccessfulBasicAuthIsNotRateLimited(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	for i := range 8 {
		if rec := l.send(http.MethodGet, "/api/stats", nil, "Authorization", "Basic "+basic(testAdmin, testPassword)); rec.Code != http.StatusOK {
			t.Fatalf("call %d: %d", i+1, rec.Code)
		}
	}
}

func TestTheLoginRedirectStaysOnThisSite(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	for _, next := range []string{"//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example/", "/ /evil"} {
		form := url.Values{"username": {testAdmin}, "password": {testPassword}, "next": {next}}
		rec := l.send(http.MethodPost, "/login", strings.NewReader(form.Encode()), "Sec-Fetch-Site", "same-origin")
		if loc := rec.Header().Get("Location"); loc != "/" {
			t.Errorf("next=%q led to %q, want /", next, loc)
		}
	}
}

func TestWithoutAuthOnlyLoopbackNamesAreAnswered(t *testing.T) {
	t.Parallel()
	q := sqlcgen.New(dbtest.Tx(t))
	server := NewServer(Deps{Queries: q, Publisher: &recordingPublisher{}, Auth: AuthConfig{LoopbackOnly: true},
		ReadyFunc: func(context.Context) map[string]string { return nil }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for host, want := range map[string]int{"127.0.0.1:8000": 200, "localhost:8000": 200, "[::1]:8000": 200,
		"rebound.evil.example:8000": http.StatusMisdirectedRequest, "192.168.1.5": http.StatusMisdirectedRequest} {
		req := httptest.NewRequest(http.MethodGet, "/api/jobs", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	cookie := l.login()
	csrf := l.pageToken(cookie)
	rec := l.send(http.MethodPost, "/settings/tokens", strings.NewReader("name=backup+script&_csrf="+csrf), "Cookie", cookie, "Sec-Fetch-Site", "same-origin")
	token := regexp.MustCompile(`data-testid="new-token-value">(cf_[A-Za-z0-9_-]+)<`).FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || token == nil {
		t.Fatalf("create token: %d", rec.Code)
	}
	t.Run("OnlyAHashIsStored", func(t *testing.T) {
		rows, err := l.q.APITokenList(context.Background())
		if err != nil || len(rows) != 1 || strings.Contains(token[1], rows[0].Hint) == false || len(rows[0].Hint) > 8 {
			t.Fatalf("tokens: %+v, %v", rows, err)
		}
		if page := l.send(http.MethodGet, "/settings/tokens", nil, "Cookie", cookie).Body.String(); strings.Contains(page, token[1]) {
			t.Fatal("the tokens page shows the token again")
		}
	})
	t.Run("TheTokenOpensTheAPI", func(t *testing.T) {
		if rec := l.send(http.MethodGet, "/api/jobs", nil, "Authorization", "Bearer "+token[1]); rec.Code != http.StatusOK {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("BasicAuthOpensTheAPI", func(t *testing.T) {
		if rec := l.send(http.MethodGet, "/api/jobs", nil, "Authorization", "Basic "+basic(testAdmin, testPassword)); rec.Code != http.StatusOK {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("ARevokedTokenIsRefused", func(t *testing.T) {
		rows, _ := l.q.APITokenList(context.Background())
		rec := l.send(http.MethodPost, "/settings/tokens/"+itoa64(rows[0].ID)+"/revoke", nil, "Cookie", cookie, "Sec-Fetch-Site", "same-origin", "X-CSRF-Token", csrf)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("revoke: %d", rec.Code)
		}
		if rec := l.send(http.MethodGet, "/api/jobs", nil, "Authorization", "Bearer "+token[1]); rec.Code != http.StatusUnauthorized {
			t.Fatalf("a revoked token got %d", rec.Code)
		}
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	cookie := l.login()
	job, err := l.q.JobInsert(context.Background(), sqlcgen.JobInsertParams{Name: "n", Type: "ping", Payload: []byte(`{"url":"http://example.com"}`),
		Cron: "@hourly", Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, Catchup: schedule.CatchupLatest})
	if err != nil {
		t.Fatal(err)
	}
	run := "/jobs/" + itoa64(job.ID) + "/pause"
	t.Run("AFormPostWithoutATokenIsRefused", func(t *testing.T) {
		if rec := l.send(http.MethodPost, run, strings.NewReader(""), "Cookie", cookie); rec.Code != http.StatusForbidden {
			t.Fatalf("%d", rec.Code)
		}
		if rec := l.send(http.MethodPost, run, strings.NewReader(""), "Cookie", cookie, "HX-Request", "true", "X-CSRF-Token", "forged"); rec.Code != http.StatusForbidden {
			t.Fatalf("a forged token: %d", rec.Code)
		}
		if j, _ := l.q.JobGet(context.Background(), job.ID); j.Paused {
			t.Fatal("the job was paused by a forged request")
		}
	})
	t.Run("ACrossSitePostIsRefusedEvenWithAToken", func(t *testing.T) {
		if rec := l.send(http.MethodPost, run, strings.NewReader(""), "Cookie", cookie, "Sec-Fetch-Site", "cross-site"); rec.Code != http.StatusForbidden {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("TheTokenFromThePageIsAccepted", func(t *testing.T) {
		page := l.send(http.MethodGet, "/jobs/"+itoa64(job.ID), nil, "Cookie", cookie)
		m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page.Body.String())
		if m == nil {
			t.Fatal("the page carries no CSRF token")
		}
		if !strings.Contains(page.Body.String(), `hx-headers="{&#34;X-CSRF-Token&#34;:&#34;`+m[1]) {
			t.Error("htmx requests are not given the token")
		}
		form := url.Values{"_csrf": {m[1]}}.Encode()
		rec := l.send(http.MethodPost, run, strings.NewReader(form), "Cookie", cookie)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%d: %s", rec.Code, rec.Body.String())
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	rec := l.send(http.MethodGet, "/login", nil)
	h := rec.Header()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	for name, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if strings.Contains(rec.Body.String(), "<script>") || strings.Contains(rec.Body.String(), "style=") {
		t.Error("the page has an inline script or style, which the CSP forbids")
	}
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{MetricsToken: "scrape-me"}))
	if rec := l.send(http.MethodGet, "/metrics", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without the token: %d", rec.Code)
	}
	if rec := l.send(http.MethodGet, "/metrics", nil, "Authorization", "Bearer scrape-me"); rec.Code != http.StatusOK {
		t.Errorf("with the token: %d", rec.Code)
	}
}

func TestJobCreationThroughTheAPIIsRateLimited(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}), withJobsPerMinute(2))
	body := `{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`
	var codes []int
	for range 3 {
		rec := l.send(http.MethodPost, "/api/jobs", strings.NewReader(body), "Content-Type", "application/json",
			"Authorization", "Basic "+basic(testAdmin, testPassword))
		codes = append(codes, rec.Code)
	}
	if codes[0] != http.StatusCreated || codes[1] != http.StatusCreated || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("codes = %v, want 201, 201, 429", codes)
	}
	if n, _ := l.q.JobCount(context.Background()); n != 2 {
		t.Fatalf("%d jobs stored, want 2", n)
	}
}

func TestSecretsAreMaskedInLists(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	ctx := context.Background()
	for typ, payload := range map[string]string{
		"slack": `{"webhook_url": "https://hooks.slack.com/services/T0/B0/SLACKSECRET", "text": "hi"}`,
		"ping":  `{"url": "https://ops:PASSWORDSECRET@example.com/health?token=TOKENSECRET"}`,
	} {
		_, err := l.q.JobInsert(ctx, sqlcgen.JobInsertParams{Name: typ, Type: typ, Payload: []byte(payload), Cron: "@hourly",
			Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, Catchup: schedule.CatchupLatest})
		if err != nil {
			t.Fatal(err)
		}
	}
	cookie := l.login()
	for _, path := range []string{"/api/jobs", "/jobs"} {
		body := l.send(http.MethodGet, path, nil, "Cookie", cookie).Body.String()
		for _, secret := range []string{"SLACKSECRET", "PASSWORDSECRET", "TOKENSECRET"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %s", path, secret)
			}
		}
		if !strings.Contains(body, "hooks.slack.com") {
			t.Errorf("%s does not show the Slack host at all", path)
		}
	}
}

func basic(user, password string) string {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestTheSessionCookieIsSecureBehindATrustedTLSProxy(t *testing.T) {
	t.Parallel()
	// A TLS-terminating proxy on this machine, trusted, says the request came over https.
	_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
	l := setup(t, withAuth(AuthConfig{}), withTrustedProxies(loopback))
	form := url.Values{"username": {testAdmin}, "password": {testPassword}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	l.server.ServeHTTP(rec, req)
	secure := false
	for _, c := range rec.Result().Cookies() {
		secure = secure || (c.Name == sessionCookie && c.Secure)
	}
	if !secure {
		t.Fatalf("no Secure session cookie behind TLS (%d)", rec.Code)
	}
}
