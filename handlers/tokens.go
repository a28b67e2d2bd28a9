package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// tokenPrefix starts every API token, so that one found in a log or a repository is recognisable.
const tokenPrefix = "cf_"

// handleTokensPage serves GET /settings/tokens, the API tokens and the form to create one.
func handleTokensPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		return renderTokens(c, q, http.StatusOK, "", "")
	}
}

func renderTokens(c echo.Context, q *sqlcgen.Queries, status int, newToken, nameError string) error {
	rows, err := q.APITokenList(c.Request().Context())
	if err != nil {
		return err
	}
	now := time.Now()
	tokens := make([]views.TokenRow, len(rows))
	for i, r := range rows {
		tokens[i] = views.TokenRow{
			ID: r.ID, Name: r.Name, Hint: r.Hint, User: r.Username, Revoked: r.RevokedAt != nil,
			Created:  views.NewMoment(&r.CreatedAt, now, time.UTC),
			LastUsed: views.NewMoment(r.LastUsedAt, now, time.UTC),
		}
	}
	return render(c, status, views.TokensPage(newPage(c, "API tokens", "tokens"), tokens, newToken, nameError))
}

// handleTokenCreate serves POST /settings/tokens. The token is shown once, in this answer; only its
// hash is stored.
func handleTokenCreate(q *sqlcgen.Queries, db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := strings.TrimSpace(c.FormValue("name"))
		if name == "" || len(name) > 100 {
			return renderTokens(c, q, http.StatusUnprocessableEntity, "", "Give the token a name of 1 to 100 characters.")
		}
		if currentUser(c) == "" {
			return renderTokens(c, q, http.StatusUnprocessableEntity, "", "Tokens need authentication: set CRONFLOW_ADMIN_PASSWORD and log in.")
		}
		user, err := q.UserGetByName(c.Request().Context(), currentUser(c))
		if err != nil {
			return err
		}
		token := tokenPrefix + newToken()
		err = audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
			_, err := q.APITokenInsert(c.Request().Context(), sqlcgen.APITokenInsertParams{
				Name: name, TokenHash: hashToken(token), Hint: token[:len(tokenPrefix)+4], UserID: user.ID,
			})
			return []auditEntry{tokenEntry("token.create", name, user.Username)}, err
		})
		if err != nil {
			return err
		}
		return renderTokens(c, q, http.StatusOK, token, "")
	}
}

// handleTokenRevoke serves POST /settings/tokens/{id}/revoke. A revoked token is refused at once.
func handleTokenRevoke(db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		err = audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
			names, err := q.APITokenRevoke(c.Request().Context(), id)
			var entries []auditEntry
			for _, name := range names {
				entries = append(entries, tokenEntry("token.revoke", name, ""))
			}
			return entries, err
		})
		if err != nil {
			return err
		}
		return redirectAfter(c, "/settings/tokens", "Token revoked.")
	}
}

// currentUser is the name of the logged-in user, or "" when authentication is off.
func currentUser(c echo.Context) string {
	user, _ := c.Get(userKey).(string)
	return user
}
