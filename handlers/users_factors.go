package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
)

// resetPathUserFactors removes every second factor of the user the path's id names and ends their
// sessions (see store.ResetFactors); a user that does not exist is a 404, and the bootstrap admin's
// factors are reset only by itself (403).
func (a *auth) resetPathUserFactors(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	target, err := a.q.UserGet(c.Request().Context(), id)
	if err != nil {
		return err
	}
	err = a.store.ResetFactors(c.Request().Context(), auditActor(c), callerOf(c), target)
	if errors.Is(err, store.ErrBootstrapFactors) {
		return echo.NewHTTPError(http.StatusForbidden, "Only the bootstrap admin (CRONFLOW_ADMIN_USER) itself can reset its second factors.")
	}
	return err
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
