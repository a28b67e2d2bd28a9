package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/cronflow/cronflow/sqlcgen"
)

// userKey is where the middleware leaves the authenticated user's name in the echo.Context.
const userKey = "cronflow_user"

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
}

// auth authenticates requests: a session cookie for the dashboard; a bearer token or HTTP Basic for
// scripts and curl.
type auth struct {
	AuthConfig
	q      *sqlcgen.Queries
	logins *limiter
	logger *slog.Logger
}

// publicPath reports whether a path is reachable without logging in.
func publicPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/login", "/metrics":
		return true
	}
	return strings.HasPrefix(path, "/assets/")
}

// middleware lets a request through if it is authenticated or needs no authentication. Otherwise an
// API request gets 401 with a JSON error, and a page request is sent to the login page.
func (a *auth) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		path := c.Request().URL.Path
		if !a.Enabled || publicPath(path) {
			return next(c)
		}
		user, err := a.identify(c)
		if err != nil {
			return err
		}
		if user != "" {
			c.Set(userKey, user)
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

// identify returns the name of the request's user, or "" if it carries no valid credentials.
func (a *auth) identify(c echo.Context) (string, error) {
	ctx := c.Request().Context()
	header := c.Request().Header.Get(echo.HeaderAuthorization)
	if token, ok := strings.CutPrefix(header, "Bearer "); ok {
		row, err := a.q.APITokenAuthenticate(ctx, hashToken(strings.TrimSpace(token)))
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil
		}
		return row.Username, err
	}
	if username, password, ok := c.Request().BasicAuth(); ok {
		if a.logins.exhausted(c.RealIP()) {
			return "", echo.NewHTTPError(http.StatusTooManyRequests, "Too many failed logins; wait a minute.")
		}
		user, err := a.checkPassword(ctx, username, password)
		if err == nil && user == "" {
			a.logins.spend(c.RealIP())
		}
		return user, err
	}
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		row, err := a.q.SessionGet(ctx, hashToken(cookie.Value))
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil
		}
		return row.Username, err
	}
	return "", nil
}

// checkPassword returns username if password is theirs, "" if not.
func (a *auth) checkPassword(ctx context.Context, username, password string) (string, error) {
	user, err := a.q.UserGetByName(ctx, username)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same time as for a real user, so that timing does not tell which names exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if bcrypt.CompareHashAndPassword([]byte(user.PasswordHash), []byte(password)) != nil {
		a.logger.Warn("Login failed", "username", username)
		return "", nil
	}
	return user.Username, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// metricsAllowed reports whether a request may read /metrics.
func (a *auth) metricsAllowed(c echo.Context) bool {
	if a.MetricsToken == "" {
		return true
	}
	got, _ := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	return subtle.ConstantTimeCompare([]byte(got), []byte(a.MetricsToken)) == 1
}

// EnsureAdmin creates the first admin from the configuration, or gives it the configured password
// if it has another one, so that the environment stays the way to recover access.
func EnsureAdmin(ctx context.Context, q *sqlcgen.Queries, username, password string) error {
	user, err := q.UserGetByName(ctx, username)
	if err == nil && bcrypt.CompareHashAndPassword([]byte(user.PasswordHash), []byte(password)) == nil {
		return nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up admin %q: %w", username, err)
	}
	hash, herr := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if herr != nil {
		return fmt.Errorf("hash admin password: %w", herr)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = q.UserInsert(ctx, sqlcgen.UserInsertParams{Username: username, PasswordHash: string(hash)})
	} else {
		err = q.UserSetPassword(ctx, sqlcgen.UserSetPasswordParams{ID: user.ID, PasswordHash: string(hash)})
	}
	if err != nil {
		return fmt.Errorf("store admin %q: %w", username, err)
	}
	return nil
}

// newToken returns 32 random bytes, URL-safe encoded.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what is stored of a session or API token: enough to recognise it, useless to steal.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
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
