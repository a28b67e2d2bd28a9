package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// A session's stage: what it must still do before it reaches anything. A password or single
// sign-on login of a user with a second factor waits for it ("factor"); one of a user whom
// CRONFLOW_REQUIRE_2FA covers and who has none must enrol one ("enrol").
const (
	stageDone   = "done"
	stageFactor = "factor"
	stageEnrol  = "enrol"
)

// stageRoutes are the routes a session in a stage may use, by the route's path.
var stageRoutes = map[string][]string{
	stageFactor: {"/login/second-factor", "/login/second-factor/passkey/begin", "/login/second-factor/passkey/finish", "/logout"},
	stageEnrol: {"/settings/account", "/settings/totp", "/settings/totp/confirm", "/settings/passkeys/begin",
		"/settings/passkeys/finish", "/api/account/totp", "/api/account/totp/confirm", "/logout"},
}

func stageAllows(stage, route string) bool {
	for _, r := range stageRoutes[stage] {
		if r == route {
			return true
		}
	}
	return false
}

// stageBlocked answers a request a session in a stage may not make: the API says what to do, a
// page goes to where it is done.
func stageBlocked(c echo.Context, stage string) error {
	target, msg := "/login/second-factor", "Finish signing in first: enter your second factor at /login/second-factor."
	if stage == stageEnrol {
		target, msg = "/settings/account", "Set up a second factor first, on /settings/account: your sign-in needs one."
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		return c.JSON(http.StatusForbidden, apiError{Error: msg})
	}
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusForbidden)
	}
	return c.Redirect(http.StatusSeeOther, target+"?next="+url.QueryEscape(c.Request().URL.RequestURI()))
}

// policyCovers reports whether CRONFLOW_REQUIRE_2FA requires a second factor of a user's role.
func (a *auth) policyCovers(r string) bool {
	return a.Require2FA == "all" || (a.Require2FA == "admins" && r == string(roleAdmin))
}

// hasFactor reports whether a user has a confirmed TOTP secret or a passkey.
func (a *auth) hasFactor(ctx context.Context, userID int64) (bool, error) {
	f, err := a.q.UserFactors(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("read factors of user %d: %w", userID, err)
	}
	return f.Totp || f.Passkeys > 0, nil
}

// sessionStage is the stage a new session of user starts in. A passkey sign-in is two factors
// already: the device, and the PIN or fingerprint that unlocks it.
func (a *auth) sessionStage(ctx context.Context, user sqlcgen.User, method string) (string, error) {
	if method == "passkey" {
		return stageDone, nil
	}
	has, err := a.hasFactor(ctx, user.ID)
	switch {
	case err != nil:
		return "", err
	case has:
		return stageFactor, nil
	case a.policyCovers(user.Role):
		return stageEnrol, nil
	}
	return stageDone, nil
}

// signedIn starts the session of a user who proved who they are by method, and sends them on:
// to the second step, to enrolment, or to next.
func (a *auth) signedIn(c echo.Context, user sqlcgen.User, method, next string) error {
	stage, err := a.sessionStage(c.Request().Context(), user, method)
	if err != nil {
		return err
	}
	if err := a.startSession(c, user, method, stage); err != nil {
		return err
	}
	switch stage {
	case stageFactor:
		next = "/login/second-factor?next=" + url.QueryEscape(next)
	case stageEnrol:
		setFlash(c, "Your sign-in needs a second factor: set one up below before anything else.")
		next = "/settings/account"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// signInRefused shows why a sign-in failed, with the way back to the login page.
func (a *auth) signInRefused(c echo.Context, status int, msg string) error {
	return render(c, status, views.SignInRefusedPage(newPage(c, "Sign-in refused", "login"), msg))
}

// loginForm is the login page's form, with the ways of signing in that are on.
func (a *auth) loginForm(next string) views.LoginForm {
	f := views.LoginForm{Next: next, PasswordOff: a.PasswordLoginOff, Passkeys: a.passkeys != nil}
	if a.oidc != nil {
		f.SSOName = a.oidc.cfg.Name
	}
	return f
}

// passwordRefusal says why a name may not log in with a password, "" if it may: with
// CRONFLOW_PASSWORD_LOGIN=false only the bootstrap admin may.
func (a *auth) passwordRefusal(username string) string {
	if !a.PasswordLoginOff || username == a.AdminUser {
		return ""
	}
	if a.oidc != nil {
		return "Password login is off: sign in with " + a.oidc.cfg.Name + "."
	}
	return "Password login is off."
}

// basicAllowed refuses HTTP Basic to a user with a second factor, or whom the policy asks one of:
// Basic cannot carry it, and an API token is what scripts should use.
func (a *auth) basicAllowed(ctx context.Context, user sqlcgen.User) error {
	has, err := a.hasFactor(ctx, user.ID)
	if err != nil {
		return err
	}
	if has || a.policyCovers(user.Role) {
		return echo.NewHTTPError(http.StatusUnauthorized, "This user signs in with a second factor, which HTTP Basic "+
			"cannot carry: use an API token instead (Authorization: Bearer …, made on /settings/tokens).")
	}
	return nil
}
