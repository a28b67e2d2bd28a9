package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// A session is a browser's login: a random token in a cookie, of which only a hash is stored.
const (
	sessionCookie = "cronflow_session"
	// sessionTouchEvery is how often a session in use notes it: its idle timeout is this precise.
	sessionTouchEvery = time.Minute
	// Session timeouts when the configuration names none.
	defaultSessionIdle     = 12 * time.Hour
	defaultSessionLifetime = 7 * 24 * time.Hour
)

// handleLoginPage serves GET /login.
func handleLoginPage(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		f := a.loginForm(localPath(c.QueryParam("next"), "/"))
		return render(c, http.StatusOK, views.LoginPage(newPage(c, "Log in", "login"), f))
	}
}

// handleLogin serves POST /login: a right name and password start a session and go on to the page
// the person wanted. Password checks go through the login guard, so that passwords cannot be
// guessed at speed nor the server flooded with them.
func handleLogin(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		f := a.loginForm(localPath(form.Get("next"), "/"))
		f.Username = form.Get("username")
		page := newPage(c, "Log in", "login")
		if refusal := a.passwordRefusal(f.Username); refusal != "" {
			f.Error = refusal
			return render(c, http.StatusForbidden, views.LoginPage(page, f))
		}
		user, err := a.checkPassword(c, "form", f.Username, form.Get("password"))
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusTooManyRequests {
			f.Error, _ = he.Message.(string)
			return render(c, http.StatusTooManyRequests, views.LoginPage(page, f))
		}
		if err != nil {
			return err
		}
		if user == nil {
			f.Error = "That name and password do not match."
			return render(c, http.StatusUnauthorized, views.LoginPage(page, f))
		}
		a.logger.Info("Logged in", "username", user.Username, "client_ip", c.RealIP(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		return a.signedIn(c, *user, "password", f.Next)
	}
}

// handleLogout serves POST /logout.
func handleLogout(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := a.endSession(c); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	}
}

// sessionPrincipal finds the user of a live session, and notes its use now and then.
func (a *auth) sessionPrincipal(c echo.Context, token string) (principal, bool, error) {
	ctx := c.Request().Context()
	row, err := a.q.SessionGet(ctx, sqlcgen.SessionGetParams{TokenHash: store.HashToken(token), IdleSince: time.Now().Add(-a.idle())})
	if errors.Is(err, pgx.ErrNoRows) {
		return principal{}, false, nil
	}
	if err != nil {
		return principal{}, false, fmt.Errorf("look up session: %w", err)
	}
	if time.Since(row.LastSeenAt) > sessionTouchEvery {
		if err := a.q.SessionTouch(ctx, sqlcgen.SessionTouchParams{ID: row.SessionID, ClientIp: clip(c.RealIP(), 64)}); err != nil {
			a.logger.Warn("Note session use failed", "error", err)
		}
	}
	return principal{UserID: row.ID, Name: row.Username, Role: role(row.Role), Via: credSession, SessionID: row.SessionID,
		Stage: row.Stage, Method: row.Method}, true, nil
}

// setCookie sets a cookie, Secure whenever the request came over TLS (directly, or through a
// trusted proxy that says so): the one rule for every cookie Cronflow sets.
func setCookie(c echo.Context, cookie *http.Cookie) {
	cookie.Secure = c.Scheme() == "https"
	c.SetCookie(cookie)
}

// startSession logs a user in: a new session, and its token in an HttpOnly, SameSite cookie that is
// Secure whenever the request came over TLS (directly or through a proxy that says so). method
// says how they signed in, stage what they must still do (see sessionStage).
func (a *auth) startSession(c echo.Context, user sqlcgen.User, method, stage string) error {
	ctx := c.Request().Context()
	if _, err := a.q.SessionDeleteExpired(ctx, time.Now().Add(-a.idle())); err != nil {
		a.logger.Warn("Delete expired sessions failed", "error", err)
	}
	token := store.NewToken()
	expires := time.Now().Add(a.lifetime())
	err := a.q.SessionInsert(ctx, sqlcgen.SessionInsertParams{
		TokenHash: store.HashToken(token), UserID: user.ID, ExpiresAt: expires,
		ClientIp: clip(c.RealIP(), 64), UserAgent: clip(c.Request().UserAgent(), 255), Method: method, Stage: stage,
	})
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	if stage == stageDone { // signed in; otherwise when the session passes its stage (passStage)
		if err := a.store.RecordSignIn(ctx, user.Username, method, ""); err != nil {
			return err
		}
	}
	setCookie(c, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(a.lifetime().Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// endSession logs the request's session out.
func (a *auth) endSession(c echo.Context) error {
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		if err := a.q.SessionDelete(c.Request().Context(), store.HashToken(cookie.Value)); err != nil {
			return err
		}
	}
	setCookie(c, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}
