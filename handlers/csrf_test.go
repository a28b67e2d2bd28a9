package handlers

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

func TestWithoutAuthenticationOnlyThisOriginChangesAnything(t *testing.T) {
	t.Parallel()
	f := setup(t)
	form := url.Values{"hour": {"9"}, "minute": {"0"}, "type": {"ping"}, "url": {"https://example.com/"}}.Encode()
	job := `{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com/"}}`
	post := func(target, contentType, body string, header ...string) int {
		return f.send(http.MethodPost, target, strings.NewReader(body), append([]string{"Content-Type", contentType}, header...)...).Code
	}
	for name, code := range map[string]int{
		"AFormFromAnotherOrigin":       post("/api/create", "application/x-www-form-urlencoded", form, "Origin", "https://evil.example"),
		"JSONFromAnotherOrigin":        post("/api/jobs", "application/json", job, "Origin", "https://evil.example"),
		"AFormReferredByAnotherSite":   post("/api/create", "application/x-www-form-urlencoded", form, "Referer", "https://evil.example/page"),
		"ACrossSiteFetch":              post("/api/jobs", "application/json", job, "Sec-Fetch-Site", "cross-site"),
		"ADashboardFormFromElsewhere":  post("/jobs", "application/x-www-form-urlencoded", "type=ping&cron=%40hourly&payload.url=https%3A%2F%2Fexample.com", "Origin", "https://evil.example"),
		"ANullOriginFromASandboxFrame": post("/api/create", "application/x-www-form-urlencoded", form, "Origin", "null"),
	} {
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	// A page on another site can post text/plain without asking first: the API wants JSON's type.
	if code := post("/api/jobs", "text/plain", job); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain JSON to /api/jobs: %d, want 415", code)
	}
	if n := f.jobCount(); n != 0 {
		t.Fatalf("%d jobs stored from refused requests", n)
	}
	t.Run("ThisOriginAndScriptsAreLetThrough", func(t *testing.T) {
		for name, code := range map[string]int{
			"SameOrigin":            post("/api/jobs", "application/json", job, "Origin", "http://example.com"),
			"CurlWithoutAnyOrigin":  post("/api/jobs", "application/json", job),
			"TheOriginalFormPost":   post("/api/create", "application/x-www-form-urlencoded", form),
			"JSONWithACharset":      post("/api/jobs", "application/json; charset=utf-8", job),
			"SameOriginFetchHeader": post("/api/jobs", "application/json", job, "Sec-Fetch-Site", "same-origin"),
		} {
			if code != http.StatusCreated {
				t.Errorf("%s: %d, want 201", name, code)
			}
		}
	})
}

func TestTheCSRFTokenIsBoundToTheSession(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	cookie := l.login()
	job, err := l.q.JobInsert(context.Background(), sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: "n", Type: "ping", Payload: []byte(`{"url":"http://example.com"}`),
		Cron: "@hourly", Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000})
	if err != nil {
		t.Fatal(err)
	}
	pause := "/jobs/" + itoa64(job.ID) + "/pause"
	paused := func() bool {
		j, _ := l.q.JobGet(context.Background(), job.ID)
		return j.Paused
	}
	t.Run("APlantedCookieAndTokenPairIsRefused", func(t *testing.T) {
		// A sibling domain can set a cookie for this one, and post from "same-site".
		planted := strings.Repeat("A", 43)
		for _, token := range []string{planted, csrfTokenFrom(planted)} {
			rec := l.send(http.MethodPost, pause, strings.NewReader(url.Values{"_csrf": {token}}.Encode()),
				"Cookie", cookie, "Cookie", "cronflow_csrf="+planted, "Sec-Fetch-Site", "same-site")
			if rec.Code != http.StatusForbidden || paused() {
				t.Fatalf("a planted pair with the victim's session: %d", rec.Code)
			}
		}
	})
	t.Run("AnotherSessionsTokenIsRefused", func(t *testing.T) {
		other := l.pageToken(l.login())
		rec := l.send(http.MethodPost, pause, nil, "Cookie", cookie, "X-CSRF-Token", other, "HX-Request", "true")
		if rec.Code != http.StatusForbidden || paused() {
			t.Fatalf("another session's token: %d", rec.Code)
		}
	})
	t.Run("ATokenInTheQueryStringIsRefused", func(t *testing.T) {
		page := l.send(http.MethodGet, "/jobs/"+itoa64(job.ID), nil, "Cookie", cookie)
		m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page.Body.String())
		if m == nil {
			t.Fatal("the page carries no CSRF token")
		}
		header := []string{"Cookie", cookie}
		for _, c := range page.Result().Cookies() {
			header = append(header, "Cookie", c.Name+"="+c.Value)
		}
		rec := l.send(http.MethodPost, pause+"?_csrf="+url.QueryEscape(m[1]), strings.NewReader(""), header...)
		if rec.Code != http.StatusForbidden || paused() {
			t.Fatalf("a token in the URL: %d", rec.Code)
		}
		rec = l.send(http.MethodPost, pause, strings.NewReader("_csrf="+url.QueryEscape(m[1])), header...)
		if rec.Code != http.StatusSeeOther || !paused() {
			t.Fatalf("the same token in the form: %d", rec.Code)
		}
	})
}

func TestTheCSRFCookieIsSecureBehindTLS(t *testing.T) {
	t.Parallel()
	_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
	l := setup(t, withAuth(AuthConfig{}), withTrustedProxies(loopback))
	req := httptest.NewRequest(http.MethodGet, "/login", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	l.server.ServeHTTP(rec, req)
	found := false
	for _, c := range rec.Result().Cookies() {
		if c.Name == "cronflow_csrf" {
			found = true
			if !c.Secure || !c.HttpOnly {
				t.Errorf("the CSRF cookie behind TLS: Secure=%v HttpOnly=%v", c.Secure, c.HttpOnly)
			}
		}
	}
	if !found {
		t.Fatal("the login page set no CSRF cookie")
	}
}
