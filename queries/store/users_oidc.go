package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
)

// OIDCIdentity is who an OpenID provider says signed in: its issuer and subject (together the
// user's lasting identity), the user name Cronflow would give them, and the role their claims map
// to.
type OIDCIdentity struct {
	Issuer, Subject, Username string
	Role                      Role
}

// SignInOIDC finds or creates the user of an identity and gives them the role of this sign-in,
// recording both. refusal says why they may not sign in: a disabled user, or a name another user
// holds. A provider's user is never joined to an existing user by name or e-mail address, since
// whoever controls the provider's account would then take over that user.
func (s *Store) SignInOIDC(ctx context.Context, id OIDCIdentity) (user sqlcgen.User, refusal string, err error) {
	err = s.write(ctx, id.Username, func(q *sqlcgen.Queries) ([]Entry, error) {
		before, err := q.UserGetByOIDC(ctx, sqlcgen.UserGetByOIDCParams{Issuer: &id.Issuer, Subject: &id.Subject})
		if errors.Is(err, pgx.ErrNoRows) {
			user, refusal, err = createOIDCUser(ctx, q, id)
			if err != nil || refusal != "" {
				return nil, err
			}
			return []Entry{userEntry("user.create", nil, &user, false)}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("look up user of %s: %w", id.Subject, err)
		}
		if before.DisabledAt != nil {
			refusal = "Your Cronflow user " + before.Username + " is disabled. Ask an admin."
			return nil, nil
		}
		role := id.Role
		if before.Username == s.adminUser {
			role = RoleAdmin // the bootstrap admin stays one
		}
		user, err = q.UserUpdate(ctx, sqlcgen.UserUpdateParams{ID: before.ID, Role: string(role), Disabled: false})
		if err != nil {
			return nil, fmt.Errorf("update role of user %d: %w", before.ID, err)
		}
		return ifChanged(userEntry("user.update", &before, &user, false)), nil
	})
	return user, refusal, err
}

// createOIDCUser creates the user of an identity, under a name nobody holds.
func createOIDCUser(ctx context.Context, q *sqlcgen.Queries, id OIDCIdentity) (sqlcgen.User, string, error) {
	name := id.Username
	if !userNamePattern.MatchString(name) {
		return sqlcgen.User{}, fmt.Sprintf("The identity provider gave the user name %q, which Cronflow cannot use "+
			"(1 to 100 letters, digits or . _ @ + -).", clipName(name)), nil
	}
	if _, err := q.UserGetByName(ctx, name); err == nil {
		return sqlcgen.User{}, "A Cronflow user named " + name + " exists already and did not sign in through the " +
			"identity provider before. Ask an admin to rename or remove that user.", nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return sqlcgen.User{}, "", fmt.Errorf("look up user %q: %w", name, err)
	}
	user, err := q.UserInsertOIDC(ctx, sqlcgen.UserInsertOIDCParams{Username: name, Role: string(id.Role),
		Issuer: &id.Issuer, Subject: &id.Subject})
	if err != nil {
		return user, "", fmt.Errorf("create user %q: %w", name, err)
	}
	return user, "", nil
}

func clipName(s string) string {
	if len(s) > 100 {
		return strings.ToValidUTF8(s[:100], "") + "…"
	}
	return s
}
