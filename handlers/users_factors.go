package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// resetPathUserFactors removes every second factor of the user the path's id names and ends their
// sessions (see store.ResetFactors); a user that does not exist is a 404.
func (a *auth) resetPathUserFactors(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	target, err := a.q.UserGet(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return a.store.ResetFactors(c.Request().Context(), auditActor(c), target)
}

// handleUserFactorsReset serves POST /settings/users/{id}/factors/reset.
func handleUserFactorsReset(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := a.resetPathUserFactors(c); err != nil {
			return err
		}
		return redirectAfter(c, "/settings/users/"+c.Param("id"), "Second factors removed; the user's sessions ended.")
	}
}

// handleAPIUserFactorsReset serves DELETE /api/users/{id}/factors: 204.
func handleAPIUserFactorsReset(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := a.resetPathUserFactors(c); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
