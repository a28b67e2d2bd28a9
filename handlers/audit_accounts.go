package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
)

// The changes to users and API tokens, each made in one transaction with its audit entry. A
// password or a token is never recorded: a changed password shows as secretValue.

// secretValue stands for a password in the audit log, which never holds one.
var secretValue = json.RawMessage(`"(secret)"`)

// userEntry is the audit entry of a change to a user, from before to after (nil when it did not
// exist, or no longer does); password says whether it was given a new password.
func userEntry(action string, before, after *sqlcgen.User, password bool) auditEntry {
	changes := diffFields(userFields(before), userFields(after))
	if password {
		changes["password"] = fieldChange{From: secretValue, To: secretValue}
		if before == nil {
			changes["password"] = fieldChange{From: orNull(nil), To: secretValue}
		}
	}
	u := after
	if u == nil {
		u = before
	}
	return auditEntry{Action: action, Subject: u.Username, Changes: changes}
}

// userFields is a user as the audit log compares it.
func userFields(u *sqlcgen.User) map[string]json.RawMessage {
	if u == nil {
		return map[string]json.RawMessage{}
	}
	name, _ := json.Marshal(u.Username)
	r, _ := json.Marshal(u.Role)
	disabled, _ := json.Marshal(u.DisabledAt != nil)
	return map[string]json.RawMessage{"name": name, "role": r, "disabled": disabled}
}

// addUser creates a user (see createUser) and records it.
func addUser(c echo.Context, db TxStarter, in userChange) (user sqlcgen.User, problems map[string]string, err error) {
	err = audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		user, problems, err = createUser(c.Request().Context(), q, in)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		return []auditEntry{userEntry("user.create", nil, &user, true)}, nil
	})
	return user, problems, err
}

// updateUser changes a user (see changeUser) and records what changed.
func (a *auth) updateUser(c echo.Context, target sqlcgen.User, in userChange) (user sqlcgen.User, problems map[string]string, err error) {
	err = audited(c, a.db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		user, problems, err = a.changeUser(c.Request().Context(), q, currentPrincipal(c), target, in)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		return ifChanged(userEntry("user.update", &target, &user, in.Password != nil)), nil
	})
	return user, problems, err
}

// removePathUser deletes the user the path's id names, as removeUser does; a refusal (the last
// admin, the bootstrap admin, oneself) is a 409 that says why.
func (a *auth) removePathUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	refusal, err := a.removeUser(c, id)
	if err != nil {
		return err
	}
	if refusal != "" {
		return echo.NewHTTPError(http.StatusConflict, refusal)
	}
	return nil
}

// removeUser deletes a user (see deleteUser) and records it; refusal says why it was not deleted.
func (a *auth) removeUser(c echo.Context, id int64) (refusal string, err error) {
	err = audited(c, a.db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		target, err := q.UserGet(c.Request().Context(), id)
		if err != nil {
			return nil, err
		}
		if refusal, err = a.deleteUser(c.Request().Context(), q, currentPrincipal(c), id); err != nil || refusal != "" {
			return nil, err
		}
		return []auditEntry{userEntry("user.delete", &target, nil, false)}, nil
	})
	return refusal, err
}

// changeOwnPassword gives the request's user a new password (see setPassword) and records it.
func (a *auth) changeOwnPassword(c echo.Context, password string) error {
	p := currentPrincipal(c)
	return audited(c, a.db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		user, err := q.UserGet(c.Request().Context(), p.UserID)
		if err != nil {
			return nil, err
		}
		if err := setPassword(c.Request().Context(), q, p.UserID, password, p.SessionID); err != nil {
			return nil, err
		}
		return []auditEntry{userEntry("user.password", &user, &user, true)}, nil
	})
}

// addToken makes an API token (see createToken) and records it.
func addToken(c echo.Context, db TxStarter, name, roleName string) (token string, row sqlcgen.ApiToken, problems map[string]string, err error) {
	err = audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		token, row, problems, err = createToken(c.Request().Context(), q, currentPrincipal(c), name, roleName)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		changes := diffFields(nil, map[string]json.RawMessage{
			"name": jsonString(row.Name), "role": jsonString(row.Role), "user": jsonString(currentPrincipal(c).Name),
		})
		return []auditEntry{{Action: "token.create", Subject: row.Name, Changes: changes}}, nil
	})
	return token, row, problems, err
}

// revokeToken revokes an API token in use and records it; revoked is false if there was none.
func revokeToken(c echo.Context, db TxStarter, id int64) (revoked bool, err error) {
	err = audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		names, err := q.APITokenRevoke(c.Request().Context(), id)
		if err != nil {
			return nil, fmt.Errorf("revoke API token %d: %w", id, err)
		}
		var entries []auditEntry
		for _, name := range names {
			revoked = true
			changes := map[string]fieldChange{"revoked": {From: json.RawMessage("false"), To: json.RawMessage("true")}}
			entries = append(entries, auditEntry{Action: "token.revoke", Subject: name, Changes: changes})
		}
		return entries, nil
	})
	return revoked, err
}

// jsonString is s as a JSON value.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
