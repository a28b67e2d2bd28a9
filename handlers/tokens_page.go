package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// handleTokensPage serves GET /settings/tokens, the API tokens and the form to create one.
func handleTokensPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		return renderTokens(c, q, http.StatusOK, "", nil)
	}
}

func renderTokens(c echo.Context, q *sqlcgen.Queries, status int, newToken string, problems map[string]string) error {
	rows, err := q.APITokenList(c.Request().Context())
	if err != nil {
		return fmt.Errorf("list API tokens: %w", err)
	}
	now := time.Now()
	tokens := make([]views.TokenRow, len(rows))
	for i, r := range rows {
		tokens[i] = views.TokenRow{
			ID: r.ID, Name: r.Name, Hint: r.Hint, User: r.Username, Role: r.Role, Revoked: r.RevokedAt != nil,
			Created:  views.NewMoment(&r.CreatedAt, now, time.UTC),
			LastUsed: views.NewMoment(r.LastUsedAt, now, time.UTC),
			Expires:  views.NewMoment(r.ExpiresAt, now, time.UTC),
			Expired:  r.ExpiresAt != nil && !r.ExpiresAt.After(now),
		}
	}
	form := views.TokenForm{NewToken: newToken, Errors: problems, Roles: roleNames(currentPrincipal(c).Role)}
	return render(c, status, views.TokensPage(newPage(c, "API tokens", "tokens"), tokens, form))
}

// handleTokenCreate serves POST /settings/tokens. The token is shown once, in this answer; only its
// hash is stored. expires_in_days (30, 90, 365; empty for never) sets when it expires.
func handleTokenCreate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		in := store.TokenInput{Name: form.Get("name"), Role: form.Get("role")}
		if days, err := strconv.Atoi(form.Get("expires_in_days")); err == nil && days > 0 {
			in.ExpiresAt = time.Now().AddDate(0, 0, days).UTC().Format(time.RFC3339)
		}
		token, _, problems, err := st.CreateToken(c.Request().Context(), auditActor(c), callerOf(c), in)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return renderTokens(c, q, http.StatusUnprocessableEntity, "", problems)
		}
		return renderTokens(c, q, http.StatusOK, token, nil)
	}
}

// roleNames are the roles up to max, lowest first, for a form's choice.
func roleNames(max role) []string {
	var names []string
	for _, r := range store.Roles {
		if max.AtLeast(r) {
			names = append(names, string(r))
		}
	}
	return names
}

// handleTokenRevoke serves POST /settings/tokens/{id}/revoke. A revoked token is refused at once.
func handleTokenRevoke(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := st.RevokeToken(c.Request().Context(), auditActor(c), id); err != nil {
			return err
		}
		return redirectAfter(c, "/settings/tokens", "Token revoked.")
	}
}

// currentUser is the name of the logged-in user, or "" when authentication is off.
func currentUser(c echo.Context) string {
	return currentPrincipal(c).Name
}
