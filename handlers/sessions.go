package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// A session is a browser's login: a random token in a cookie, of which only a hash is stored.
const (
	sessionCookie = "cronflow_session"
	sessionTTL    = 7 * 24 * time.Hour
)

// handleLoginPage serves GET /login.
func handleLoginPage() echo.HandlerFunc {
	return func(c echo.Context) error {
		f := views.LoginForm{Next: localPath(c.QueryParam("next"), "/")}
		return render(c, http.StatusOK, views.LoginPage(newPage(c, "Log in", "login"), f))
	}
}

// handleLogin serves POST /login: a right name and password start a session and go on to the page
// the person wanted. Attempts are limited per client address, so that passwords cannot be guessed
// at speed.
func handleLogin(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		f := views.LoginForm{Next: localPath(c.FormValue("next"), "/"), Username: c.FormValue("username")}
		page := newPage(c, "Log in", "login")
		if a.logins.exhausted(c.RealIP()) {
			f.Error = "Too many failed logins. Wait a minute, then try again."
			return render(c, http.StatusTooManyRequests, views.LoginPage(page, f))
		}
		user, err := a.checkPassword(c.Request().Context(), f.Username, c.FormValue("password"))
		if err != nil {
			return err
		}
		if user == "" {
			a.logins.spend(c.RealIP())
			f.Error = "That name and password do not match."
			return render(c, http.StatusUnauthorized, views.LoginPage(page, f))
		}
		if err := a.startSession(c, user); err != nil {
			return err
		}
		a.logger.Info("Logged in", "username", user, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		return c.Redirect(http.StatusSeeOther, f.Next)
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

// startSession logs a user in: a new session, and its token in an HttpOnly, SameSite cookie that is
// Secure whenever the request came over TLS (directly or through a proxy that says so).
func (a *auth) startSession(c echo.Context, username string) error {
	ctx := c.Request().Context()
	user, err := a.q.UserGetByName(ctx, username)
	if err != nil {
		return err
	}
	if _, err := a.q.SessionDeleteExpired(ctx); err != nil {
		a.logger.Warn("Delete expired sessions failed", "error", err)
	}
	token := newToken()
	expires := time.Now().Add(sessionTTL)
	if err := a.q.SessionInsert(ctx, sqlcgen.SessionInsertParams{TokenHash: hashToken(token), UserID: user.ID, ExpiresAt: expires}); err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https",
	})
	return nil
}

// endSession logs the request's session out.
func (a *auth) endSession(c echo.Context) error {
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		if err := a.q.SessionDelete(c.Request().Context(), hashToken(cookie.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
	return nil
}
