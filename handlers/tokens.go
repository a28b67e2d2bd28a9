package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// tokenPrefix starts every API token, so that one found in a log or a repository is recognisable.
const tokenPrefix = "cf_"

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
		}
	}
	form := views.TokenForm{NewToken: newToken, Errors: problems, Roles: roleNames(currentPrincipal(c).Role)}
	return render(c, status, views.TokensPage(newPage(c, "API tokens", "tokens"), tokens, form))
}

// handleTokenCreate serves POST /settings/tokens. The token is shown once, in this answer; only its
// hash is stored.
func handleTokenCreate(q *sqlcgen.Queries, db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		token, _, problems, err := addToken(c, db, form.Get("name"), form.Get("role"))
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return renderTokens(c, q, http.StatusUnprocessableEntity, "", problems)
		}
		return renderTokens(c, q, http.StatusOK, token, nil)
	}
}

// createToken makes an API token for the principal, with a role no higher than theirs (empty means
// viewer), and returns it: it is shown once, and only its hash is stored.
func createToken(ctx context.Context, q *sqlcgen.Queries, owner principal, name, roleName string) (string, sqlcgen.ApiToken, map[string]string, error) {
	problems := map[string]string{}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		problems["name"] = "must be 1 to 100 characters"
	}
	if roleName == "" {
		roleName = string(roleViewer)
	}
	r, ok := parseRole(roleName)
	switch {
	case !ok:
		problems["role"] = "must be viewer, editor or admin"
	case !owner.Role.atLeast(r):
		problems["role"] = "must not be higher than your own role (" + string(owner.Role) + ")"
	}
	if len(problems) > 0 {
		return "", sqlcgen.ApiToken{}, problems, nil
	}
	token := tokenPrefix + newToken()
	row, err := q.APITokenInsert(ctx, sqlcgen.APITokenInsertParams{
		Name: name, TokenHash: hashToken(token), Hint: token[:len(tokenPrefix)+4], UserID: owner.UserID, Role: string(r),
	})
	if err != nil {
		return "", row, nil, fmt.Errorf("store API token: %w", err)
	}
	return token, row, nil, nil
}

// roleNames are the roles up to max, lowest first, for a form's choice.
func roleNames(max role) []string {
	var names []string
	for _, r := range roles {
		if max.atLeast(r) {
			names = append(names, string(r))
		}
	}
	return names
}

// handleTokenRevoke serves POST /settings/tokens/{id}/revoke. A revoked token is refused at once.
func handleTokenRevoke(db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := revokeToken(c, db, id); err != nil {
			return err
		}
		return redirectAfter(c, "/settings/tokens", "Token revoked.")
	}
}

// currentUser is the name of the logged-in user, or "" when authentication is off.
func currentUser(c echo.Context) string {
	return currentPrincipal(c).Name
}
