package handlers

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestEveryCookieIsSecureBehindTLSAndOnlyThen(t *testing.T) {
	t.Parallel()
	_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
	l := setup(t, withAuth(AuthConfig{}), withTrustedProxies(loopback))
	for _, proto := range []string{"https", "http"} {
		t.Run(strings.ToUpper(proto), func(t *testing.T) {
			send := func(method, target string, body url.Values, cookie string) *httptest.ResponseRecorder {
				var req *http.Request
				if body != nil {
					req = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				} else {
					req = httptest.NewRequest(method, target, nil)
				}
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.Header.Set("X-Forwarded-Proto", proto)
				req.Header.Set("Cookie", cookie)
				req.RemoteAddr = "127.0.0.1:40000"
				rec := httptest.NewRecorder()
				l.server.ServeHTTP(rec, req)
				return rec
			}
			var cookies []*http.Cookie
			cookies = append(cookies, send(http.MethodGet, "/login", nil, "").Result().Cookies()...) // the CSRF cookie
			login := send(http.MethodPost, "/login", url.Values{"username": {testAdmin}, "password": {testPassword}}, "")
			cookies = append(cookies, login.Result().Cookies()...)
			var session string
			for _, c := range login.Result().Cookies() {
				if c.Name == sessionCookie {
					session = c.Name + "=" + c.Value
				}
			}
			created := send(http.MethodPost, "/settings/users", url.Values{"name": {"dee" + proto}, "password": {"dee's password"}, "role": {"viewer"}, "_csrf": {l.pageToken(session)}}, session)
			cookies = append(cookies, created.Result().Cookies()...) // the flash cookie
			names := map[string]bool{}
			for _, c := range cookies {
				names[c.Name] = true
				if c.Secure != (proto == "https") {
					t.Errorf("cookie %s over %s: Secure %v", c.Name, proto, c.Secure)
				}
			}
			for _, name := range []string{csrfCookie, sessionCookie, flashCookie} {
				if !names[name] {
					t.Errorf("no %s cookie was set (%d, %d)", name, login.Code, created.Code)
				}
			}
		})
	}
}
