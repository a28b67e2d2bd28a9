package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
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
