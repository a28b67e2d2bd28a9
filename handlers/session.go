package handlers

import (
	"errors"
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
// the person wanted. Password checks go through the login guard, so that passwords cannot be
// guessed at speed nor the server flooded with them.
func handleLogin(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		f := views.LoginForm{Next: localPath(form.Get("next"), "/"), Username: form.Get("username")}
		page := newPage(c, "Log in", "login")
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
		if err := a.startSession(c, *user); err != nil {
			return err
		}
		a.logger.Info("Logged in", "username", user.Username, "client_ip", c.RealIP(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
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
