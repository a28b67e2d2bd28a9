package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cronflow/cronflow/views"
)

// contentSecurityPolicy allows only Cronflow's own scripts, styles and images: no inline script or
// style, no eval, no framing by other sites.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers that keep a browser from being turned against Cronflow.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if c.Scheme() == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// csrfProtection wants a token from every state-changing form and htmx request that a browser sends
// with its cookies. The token comes in the form field _csrf or the X-CSRF-Token header (htmx sends it,
// see the layout). Requests with a bearer token cannot be forged by another site (a browser never adds
// one by itself) and are not asked; neither are API calls without a session cookie, which carry no
// credential a browser would add either. The cross-origin check below covers every request.
func csrfProtection() echo.MiddlewareFunc {
	check := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     "cronflow_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "The form is missing its security token or has an old one. Reload the page and try again.")
		},
		Skipper: func(c echo.Context) bool {
			if strings.HasPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ") {
				return true
			}
			if strings.HasPrefix(c.Request().URL.Path, "/api/") {
				_, err := c.Cookie(sessionCookie)
				return err != nil // no session cookie: nothing for another site to ride on
			}
			return false
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return check(func(c echo.Context) error {
			if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" && !safeMethod(c.Request().Method) {
				return echo.NewHTTPError(http.StatusForbidden, "Another site cannot change anything here.")
			}
			if token, ok := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string); ok {
				ctx := views.WithCSRF(c.Request().Context(), token)
				c.SetRequest(c.Request().WithContext(ctx))
			}
			return next(c)
		})
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
