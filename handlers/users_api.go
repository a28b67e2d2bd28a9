package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// userJSON is a user as the API shows it; a password hash never leaves the database.
type userJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastLoginAt is when the user last finished signing in, null if never (since it was recorded).
	LastLoginAt *time.Time `json:"last_login_at"`
	// TokensRevoked says that a password reset by someone else revoked the user's API tokens.
	TokensRevoked bool `json:"tokens_revoked,omitempty"`
}

func toUserJSON(u sqlcgen.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Username, Role: u.Role, Disabled: u.DisabledAt != nil, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		LastLoginAt: u.LastLoginAt}
}

// handleAPIUserList serves GET /api/users.
func handleAPIUserList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := q.UserList(c.Request().Context())
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		return listJSON(c, "users", rows, func(r sqlcgen.UserListRow) userJSON {
			return toUserJSON(sqlcgen.User{ID: r.ID, Username: r.Username, Role: r.Role, DisabledAt: r.DisabledAt,
				CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastLoginAt: r.LastLoginAt})
		})
	}
}

// handleAPIUserCreate serves POST /api/users ({"name", "password", "role"}): 201 with the user.
func handleAPIUserCreate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in store.UserChange
		if ok, err := decodeOrReject(c, &in, "user"); !ok {
			return err
		}
		user, problems, err := st.CreateUser(c.Request().Context(), auditActor(c), in)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalidInput(c, "user", problems)
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/users/"+strconv.FormatInt(user.ID, 10))
		return c.JSON(http.StatusCreated, toUserJSON(user))
	}
}

// bootstrapPasswordRefusal is the 403 of another admin's reset of the bootstrap admin's password.
const bootstrapPasswordRefusal = "Only the bootstrap admin (CRONFLOW_ADMIN_USER) can change its own password, on its account page; " +
	"otherwise set CRONFLOW_ADMIN_PASSWORD and restart."

// resetsTokens reports whether a change to target is a password reset by someone else, which
// revokes target's API tokens (see store.UpdateUser).
func resetsTokens(c echo.Context, target sqlcgen.User, in store.UserChange) bool {
	return in.Password != nil && callerOf(c).UserID != target.ID
}

// handleAPIUserUpdate serves PUT /api/users/{id}: any of role, password and disabled. A new
// password set by another admin revokes the user's API tokens, and the answer says
// "tokens_revoked": true; the bootstrap admin's password is refused (403) to all but itself.
func handleAPIUserUpdate(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		target, err := pathUser(c, a.q)
		if err != nil {
			return err
		}
		var in store.UserChange
		if ok, err := decodeOrReject(c, &in, "user"); !ok {
			return err
		}
		user, problems, err := a.store.UpdateUser(c.Request().Context(), auditActor(c), callerOf(c), target, in)
		if errors.Is(err, store.ErrBootstrapPassword) {
			return echo.NewHTTPError(http.StatusForbidden, bootstrapPasswordRefusal)
		}
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalidInput(c, "user", problems)
		}
		out := toUserJSON(user)
		out.TokensRevoked = resetsTokens(c, target, in)
		return c.JSON(http.StatusOK, out)
	}
}

// handleAPIUserDelete serves DELETE /api/users/{id}: 204, and the user's sessions and tokens are gone.
func handleAPIUserDelete(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := a.removePathUser(c); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// removePathUser deletes the user the path's id names (see store.DeleteUser); a refusal (the last
// admin, the bootstrap admin, oneself) is a 409 that says why.
func (a *auth) removePathUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	refusal, err := a.store.DeleteUser(c.Request().Context(), auditActor(c), callerOf(c), id)
	if err != nil {
		return err
	}
	if refusal != "" {
		return echo.NewHTTPError(http.StatusConflict, refusal)
	}
	return nil
}
