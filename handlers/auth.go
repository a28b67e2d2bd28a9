package handlers

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// AuthConfig says whether and how requests are authenticated.
type AuthConfig struct {
	// Enabled is false when no admin password is configured: every request is let through, and
	// Cronflow listens on loopback only.
	Enabled bool
	// MetricsToken, if set, is the bearer token that /metrics wants; otherwise /metrics is open.
	MetricsToken string
	// LoopbackOnly answers only requests addressed to a loopback name, for when authentication is
	// off: a web page whose name an attacker points at 127.0.0.1 (DNS rebinding) gets nothing.
	LoopbackOnly bool
	// AdminUser is the bootstrap admin from the environment. It cannot be demoted, disabled or
	// deleted from the dashboard or the API, because the environment is the way back in.
	AdminUser string
	// SessionIdle ends a session unused for this long; zero means 12 hours.
	SessionIdle time.Duration
	// SessionLifetime ends a session this long after its login, used or not; zero means 7 days.
	SessionLifetime time.Duration

	// Single sign-on and second factors (issue 24).
	// OIDC, if set, adds sign-in through an OpenID Connect provider.
	OIDC *OIDCConfig
	// PasswordLoginOff refuses password logins (the form and HTTP Basic) of everyone but AdminUser.
	PasswordLoginOff bool
	// Require2FA says whom a second factor is required of: "none" (or ""), "admins" or "all".
	Require2FA string
	// PublicURL is where people reach the dashboard: the origin and relying party of passkeys.
	PublicURL string
	// Clock is what TOTP codes are checked against; nil is time.Now. Tests set it.
	Clock func() time.Time
}

func (c AuthConfig) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c AuthConfig) idle() time.Duration {
	if c.SessionIdle > 0 {
		return c.SessionIdle
	}
	return defaultSessionIdle
}

func (c AuthConfig) lifetime() time.Duration {
	if c.SessionLifetime > 0 {
		return c.SessionLifetime
	}
	return defaultSessionLifetime
}

// auth authenticates requests: a session cookie for the dashboard; a bearer token or HTTP Basic for
// scripts and curl.
type auth struct {
	AuthConfig
	q      *sqlcgen.Queries
	store  *store.Store // for changes to users, made with their audit entries
	guard  *loginGuard
	logger *slog.Logger
	// Issue 24: the OpenID provider (nil without one), the guard of second-factor codes, passkeys.
	oidc        *oidcClient
	factorGuard *limiter
	passkeys    *passkeys
	// passkeyGuard bounds the passwordless sign-ins begun per client address: each keeps a flow.
	passkeyGuard *limiter
	// oidcGuard bounds the single sign-ins begun per client address: each keeps a flow too.
	oidcGuard *limiter
}

// publicPath reports whether a path is reachable without logging in.
func publicPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/login", "/metrics", openAPIPath:
		return true
	case "/login/oidc", "/login/oidc/callback", "/login/passkey/begin", "/login/passkey/finish":
		return true
	}
	return strings.HasPrefix(path, "/assets/")
}

// middleware lets a request through if it is authenticated or needs no authentication, with its
// principal in the context. Otherwise an API request gets 401 with a JSON error, and a page request
// is sent to the login page.
func (a *auth) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		path := c.Request().URL.Path
		if !a.Enabled || publicPath(path) {
			return next(c)
		}
		p, ok, err := a.identify(c)
		if err != nil {
			return err
		}
		if ok {
			c.Set(principalKey, p)
			if p.Stage != "" && p.Stage != stageDone && !stageAllows(p.Stage, c.Path()) {
				return stageBlocked(c, p.Stage)
			}
			return next(c)
		}
		if strings.HasPrefix(path, "/api/") {
			// A Bearer challenge, not Basic: a browser would ask for a password, keep it and send it
			// with every later request, forged ones included.
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="Cronflow"`)
			return c.JSON(http.StatusUnauthorized, apiError{Error: "Authentication required: send a bearer token (Authorization: Bearer …) or HTTP Basic credentials."})
		}
		login := "/login?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		if c.Request().Header.Get("HX-Request") == "true" {
			c.Response().Header().Set("HX-Redirect", login)
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, login)
	}
}

// identify returns who the request's credentials belong to; ok is false if it carries none that
// are valid.
func (a *auth) identify(c echo.Context) (p principal, ok bool, err error) {
	ctx := c.Request().Context()
	header := c.Request().Header.Get(echo.HeaderAuthorization)
	if token, isBearer := strings.CutPrefix(header, "Bearer "); isBearer {
		row, err := a.q.APITokenAuthenticate(ctx, store.HashToken(strings.TrimSpace(token)))
		if errors.Is(err, pgx.ErrNoRows) {
			return p, false, nil
		}
		if err != nil {
			return p, false, fmt.Errorf("authenticate API token: %w", err)
		}
		return principal{UserID: row.ID, Name: row.Username, Role: store.Lower(role(row.UserRole), role(row.TokenRole)), Via: credToken,
			Token: row.TokenName}, true, nil
	}
	if username, password, isBasic := c.Request().BasicAuth(); isBasic {
		if refusal := a.passwordRefusal(username); refusal != "" {
			return p, false, echo.NewHTTPError(http.StatusUnauthorized, refusal)
		}
		user, err := a.checkPassword(c, "basic", username, password)
		if err != nil || user == nil {
			return p, false, err
		}
		if err := a.basicAllowed(ctx, *user); err != nil {
			return p, false, err
		}
		return principal{UserID: user.ID, Name: user.Username, Role: role(user.Role), Via: credBasic}, true, nil
	}
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		return a.sessionPrincipal(c, cookie.Value)
	}
	return p, false, nil
}

// metricsAllowed reports whether a request may read /metrics: with a metrics token set, it must
// come as "Authorization: Bearer <token>".
func (a *auth) metricsAllowed(c echo.Context) bool {
	if a.MetricsToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(a.MetricsToken)) == 1
}

// loopbackHostOnly refuses requests addressed to anything but a loopback name or address.
func loopbackHostOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		host := c.Request().Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return echo.NewHTTPError(http.StatusMisdirectedRequest,
				"Without CRONFLOW_ADMIN_PASSWORD, Cronflow answers only at localhost or 127.0.0.1.")
		}
		return next(c)
	}
}
