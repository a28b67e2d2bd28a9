package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// tokenJSON is an API token as GET /api/tokens lists it: never the token itself, which is shown
// once when it is made.
type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	Role       string     `json:"role"`
	User       string     `json:"user"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// utcOrNil is a time in UTC, for an answer; nil stays nil.
func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// handleAPITokenCreate serves POST /api/tokens ({"name", "role", "expires_at"}): 201 with {"id",
// "token", "expires_at"}, the only time the token is shown. expires_at (RFC 3339, in the future,
// at most 366 days ahead) is optional: without it the token never expires.
func handleAPITokenCreate(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in store.TokenInput
		if ok, err := decodeOrReject(c, &in, "token"); !ok {
			return err
		}
		token, row, problems, err := st.CreateToken(c.Request().Context(), auditActor(c), callerOf(c), in)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalidInput(c, "token", problems)
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/tokens/"+strconv.FormatInt(row.ID, 10))
		return c.JSON(http.StatusCreated, map[string]any{"id": row.ID, "token": token, "name": row.Name, "role": row.Role,
			"expires_at": utcOrNil(row.ExpiresAt)})
	}
}

// handleAPITokenList serves GET /api/tokens.
func handleAPITokenList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := q.APITokenList(c.Request().Context())
		if err != nil {
			return fmt.Errorf("list API tokens: %w", err)
		}
		return listJSON(c, "tokens", rows, func(r sqlcgen.APITokenListRow) tokenJSON {
			return tokenJSON{ID: r.ID, Name: r.Name, Hint: r.Hint, Role: r.Role, User: r.Username,
				CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt, ExpiresAt: utcOrNil(r.ExpiresAt)}
		})
	}
}

// handleAPITokenRevoke serves DELETE /api/tokens/{id}: 204, and the token is refused from now on.
func handleAPITokenRevoke(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		revoked, err := st.RevokeToken(c.Request().Context(), auditActor(c), id)
		if err != nil {
			return err
		}
		if !revoked {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no live token with that id.")
		}
		return c.NoContent(http.StatusNoContent)
	}
}
