package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
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

// MaxTokenLifetime bounds how far ahead a token's expiry may be.
const MaxTokenLifetime = 366 * 24 * time.Hour

// TokenInput is a new API token: the body of POST /api/tokens and the tokens page's form. An empty
// role is viewer; an empty ExpiresAt (RFC 3339) never expires.
type TokenInput struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	ExpiresAt string `json:"expires_at"`
}

// expiry reads a token's expiry, adding its problem: nil for none, else a time in the future and
// at most MaxTokenLifetime ahead.
func expiry(at string, now time.Time, problems map[string]string) *time.Time {
	if at == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, at)
	switch {
	case err != nil:
		problems["expires_at"] = "must be a time in RFC 3339, such as 2030-01-31T00:00:00Z"
	case !t.After(now):
		problems["expires_at"] = "must be in the future"
	case t.After(now.Add(MaxTokenLifetime)):
		problems["expires_at"] = "must be at most 366 days ahead"
	}
	return &t
}

// createToken makes an API token for the caller, with a role no higher than theirs (empty means
// viewer), and returns it: it is shown once, and only its hash is stored.
func createToken(ctx context.Context, q *sqlcgen.Queries, owner Caller, in TokenInput) (string, sqlcgen.ApiToken, map[string]string, error) {
	problems := map[string]string{}
	name, roleName := strings.TrimSpace(in.Name), in.Role
	expiresAt := expiry(in.ExpiresAt, time.Now(), problems)
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
		ExpiresAt: expiresAt,
	})
	if err != nil {
		return "", row, nil, fmt.Errorf("store API token: %w", err)
	}
	return token, row, nil, nil
}

// The changes to API tokens. A token is never recorded, only its name.

// CreateToken makes an API token for the caller (see createToken), expiring when in.ExpiresAt says
// (never if empty), and records it. The token is answered once; only its hash is stored.
func (s *Store) CreateToken(ctx context.Context, actor string, caller Caller, in TokenInput) (token string, row sqlcgen.ApiToken, problems map[string]string, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		token, row, problems, err = createToken(ctx, q, caller, in)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		fields := map[string]json.RawMessage{"name": jsonString(row.Name), "role": jsonString(row.Role), "user": jsonString(caller.Name)}
		if row.ExpiresAt != nil {
			fields["expires_at"] = jsonString(row.ExpiresAt.UTC().Format(time.RFC3339))
		}
		changes := diffFields(nil, fields)
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
