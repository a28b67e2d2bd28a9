package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cronflow/cronflow/sqlcgen"
)

// TokenPrefix starts every API token, so that one found in a log or a repository is recognisable.
const TokenPrefix = "cf_"

// NewToken returns 32 random bytes, URL-safe encoded: an API token's secret part, a session's
// token, a CSRF secret.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what is stored of a session or API token: enough to recognise it, useless to steal.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// createToken makes an API token for the caller, with a role no higher than theirs (empty means
// viewer), and returns it: it is shown once, and only its hash is stored.
func createToken(ctx context.Context, q *sqlcgen.Queries, owner Caller, name, roleName string) (string, sqlcgen.ApiToken, map[string]string, error) {
	problems := map[string]string{}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		problems["name"] = "must be 1 to 100 characters"
	}
	if roleName == "" {
		roleName = string(RoleViewer)
	}
	r, ok := ParseRole(roleName)
	switch {
	case !ok:
		problems["role"] = "must be viewer, editor or admin"
	case !owner.Role.AtLeast(r):
		problems["role"] = "must not be higher than your own role (" + string(owner.Role) + ")"
	}
	if len(problems) > 0 {
		return "", sqlcgen.ApiToken{}, problems, nil
	}
	token := TokenPrefix + NewToken()
	row, err := q.APITokenInsert(ctx, sqlcgen.APITokenInsertParams{
		Name: name, TokenHash: HashToken(token), Hint: token[:len(TokenPrefix)+4], UserID: owner.UserID, Role: string(r),
	})
	if err != nil {
		return "", row, nil, fmt.Errorf("store API token: %w", err)
	}
	return token, row, nil, nil
}

// The changes to API tokens. A token is never recorded, only its name.

// CreateToken makes an API token for the caller (see createToken) and records it. The token is
// answered once; only its hash is stored.
func (s *Store) CreateToken(ctx context.Context, actor string, caller Caller, name, roleName string) (token string, row sqlcgen.ApiToken, problems map[string]string, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		token, row, problems, err = createToken(ctx, q, caller, name, roleName)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		changes := diffFields(nil, map[string]json.RawMessage{
			"name": jsonString(row.Name), "role": jsonString(row.Role), "user": jsonString(caller.Name),
		})
		return []Entry{{Action: "token.create", Subject: row.Name, Changes: changes}}, nil
	})
	return token, row, problems, err
}

// revokeEntries are the audit entries of the tokens named revoked.
func revokeEntries(names []string) []Entry {
	var entries []Entry
	for _, name := range names {
		changes := map[string]FieldChange{"revoked": {From: json.RawMessage("false"), To: json.RawMessage("true")}}
		entries = append(entries, Entry{Action: "token.revoke", Subject: name, Changes: changes})
	}
	return entries
}

// revokeTokensOf revokes every token in use of a user whose password someone else reset (another
// admin, or the environment), and answers their audit entries: whoever held the old password may
// have made tokens with it.
func revokeTokensOf(ctx context.Context, q *sqlcgen.Queries, userID int64) ([]Entry, error) {
	names, err := q.APITokenRevokeForUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("revoke API tokens of user %d: %w", userID, err)
	}
	return revokeEntries(names), nil
}

// RevokeToken revokes an API token in use and records it; revoked is false if there was none.
func (s *Store) RevokeToken(ctx context.Context, actor string, id int64) (revoked bool, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		names, err := q.APITokenRevoke(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("revoke API token %d: %w", id, err)
		}
		revoked = len(names) > 0
		return revokeEntries(names), nil
	})
	return revoked, err
}
