package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// handleAccountPage serves GET /settings/account: who you are, the form to change your password,
// and your sessions, each of which you can end.
func handleAccountPage(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		return renderAccount(c, a, http.StatusOK, nil)
	}
}

func renderAccount(c echo.Context, a *auth, status int, problems map[string]string) error {
	return renderAccountWith(c, a, status, problems, nil)
}

// renderAccountWith renders the account page, with recovery codes just made (shown once).
func renderAccountWith(c echo.Context, a *auth, status int, problems map[string]string, codes []string) error {
	p := currentPrincipal(c)
	v := views.Account{Name: p.Name, Role: string(p.Role), Errors: problems, RecoveryCodes: codes}
	if err := a.accountFactors(c, &v); err != nil {
		return err
	}
	if err := a.accountSessions(c, &v); err != nil {
		return err
	}
	return render(c, status, views.AccountPage(newPage(c, "Your account", "account"), v))
}

// handlePasswordChange serves POST /settings/password: with the current password, a new one. Every
// other session of the user ends, so that whoever knew the old password is out.
func handlePasswordChange(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		p := currentPrincipal(c)
		problems := map[string]string{}
		user, err := a.checkPassword(c, "password change", p.Name, form.Get("current"))
		if err != nil {
			return err
		}
		if user == nil {
			problems["current"] = "is not your password"
		}
		next := form.Get("password")
		if problem := store.PasswordProblem(next); problem != "" {
			problems["password"] = problem
		} else if form.Get("confirm") != next {
			problems["confirm"] = "must be the new password again"
		}
		if len(problems) > 0 {
			return renderAccount(c, a, http.StatusUnprocessableEntity, problems)
		}
		if err := a.store.ChangeOwnPassword(c.Request().Context(), auditActor(c), callerOf(c), next); err != nil {
			return err
		}
		return redirectAfter(c, "/settings/account", "Password changed. Every other session is signed out.")
	}
}

// handleSessionEnd serves POST /settings/sessions/{id}/end: one of your sessions ends. Ending the
// current one logs you out.
func handleSessionEnd(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		p := currentPrincipal(c)
		n, err := a.q.SessionDeleteOne(c.Request().Context(), sqlcgen.SessionDeleteOneParams{ID: id, UserID: p.UserID})
		if err != nil {
			return fmt.Errorf("end session %d: %w", id, err)
		}
		if n == 0 {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: that session has ended already.")
		}
		if id == p.SessionID {
			return signedOut(c, a)
		}
		return redirectAfter(c, "/settings/account", "Session signed out.")
	}
}

// handleSessionEndAll serves POST /settings/sessions/end-all: "sign out everywhere", this browser
// included.
func handleSessionEndAll(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := currentPrincipal(c)
		if _, err := a.q.SessionDeleteForUser(c.Request().Context(), sqlcgen.SessionDeleteForUserParams{UserID: p.UserID}); err != nil {
			return fmt.Errorf("end sessions of user %d: %w", p.UserID, err)
		}
		return signedOut(c, a)
	}
}

// signedOut drops this browser's session cookie and goes to the login page.
func signedOut(c echo.Context, a *auth) error {
	if err := a.endSession(c); err != nil {
		return err
	}
	return redirectAfter(c, "/login", "")
}
