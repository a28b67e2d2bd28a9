package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
)

const (
	// csrfCookie holds the secret of the CSRF token of a browser without a session (the login page,
	// or every page with authentication off).
	csrfCookie = "cronflow_csrf"
	csrfHeader = "X-CSRF-Token"
	csrfField  = "_csrf"
)

// csrfProtection refuses state-changing requests that another site could make a browser send.
//
// Every such request must come from this origin: Sec-Fetch-Site, else Origin, else Referer must
// not name another site. That is the whole defence of a browser that sends no credential of its
// own: the API without a session cookie (with authentication off, or with HTTP Basic), which
// moreover takes JSON only as application/json, a type no other site can post without asking.
//
// A request with a session must also carry the session's CSRF token, in the X-CSRF-Token header
// (htmx sends it, see the layout) or the form field _csrf, never in the URL. The token is an HMAC of
// the session's own secret, so that a token planted by someone else (a cookie set from a sibling
// domain) is worth nothing. Without a session, a page's form carries a token made from the
// cronflow_csrf cookie, unless the browser says the post is same-origin. Requests with a bearer
// token are not asked: a browser never adds one by itself.
func csrfProtection() echo.MiddlewareFunc {
	origins := http.NewCrossOriginProtection()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := currentPrincipal(c)
			want := csrfTokenFrom(csrfSecret(c, p))
			r := c.Request().WithContext(views.WithCSRF(c.Request().Context(), want))
			c.SetRequest(r)
			if safeMethod(r.Method) || p.Via == credToken {
				return next(c)
			}
			if !sameOrigin(origins, r) {
				return echo.NewHTTPError(http.StatusForbidden, "Another site cannot change anything here.")
			}
			if p.Via != credSession && (strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("Sec-Fetch-Site") == "same-origin") {
				return next(c)
			}
			got := r.Header.Get(csrfHeader)
			if got == "" {
				if _, err := readForm(c); err != nil {
					return err
				}
				got = c.Request().PostForm.Get(csrfField) // the body only: a token in the URL leaks
			}
			if !hmac.Equal([]byte(got), []byte(want)) {
				return echo.NewHTTPError(http.StatusForbidden, "The form is missing its security token or has an old one. Reload the page and try again.")
			}
			return next(c)
		}
	}
}

// sameOrigin reports whether a request comes from this origin, or from no browser at all, by the
// Fetch Metadata and Origin checks of net/http, then by Referer for a browser that sends neither.
func sameOrigin(origins *http.CrossOriginProtection, r *http.Request) bool {
	if origins.Check(r) != nil {
		return false
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return true
	}
	ref := r.Header.Get("Referer")
	if ref == "" {
		return true
	}
	u, err := url.Parse(ref)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// csrfSecret is what the request's CSRF token is made from: the session's token when it has one,
// else the cronflow_csrf cookie, which is set if the browser has none yet.
func csrfSecret(c echo.Context, p principal) string {
	if p.Via == credSession {
		if ck, err := c.Cookie(sessionCookie); err == nil {
			return ck.Value
		}
	}
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	secret := store.NewToken()
	path := c.Request().URL.Path
	if !strings.HasPrefix(path, "/api/") && (path == "/login" || !publicPath(path)) {
		setCookie(c, &http.Cookie{Name: csrfCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	return secret
}

// csrfTokenFrom is the CSRF token for a secret: useless to anyone who does not hold the secret.
func csrfTokenFrom(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("cronflow csrf token"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// isJSON reports whether a Content-Type is JSON's.
func isJSON(contentType string) bool {
	t, _, err := mime.ParseMediaType(contentType)
	return err == nil && t == echo.MIMEApplicationJSON
}
