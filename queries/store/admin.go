package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/cronflow/cronflow/sqlcgen"
)

// EnsureAdmin makes the bootstrap admin from the configuration: it creates the user, or makes it an
// enabled admin with the configured password, so that the environment stays the way to recover
// access. A changed password ends every session of that user and revokes its API tokens. The audit log records what changed
// as done by actor ("environment").
func (s *Store) EnsureAdmin(ctx context.Context, actor, username, password string) error {
	return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		return bootstrapAdmin(ctx, q, username, password)
	})
}

// bootstrapAdmin is EnsureAdmin's work, in its transaction; it answers the audit entry of what it
// changed, none if nothing.
func bootstrapAdmin(ctx context.Context, q *sqlcgen.Queries, username, password string) ([]Entry, error) {
	user, err := q.UserGetByName(ctx, username)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("look up admin %q: %w", username, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		hash, err := HashPassword(password)
		if err != nil {
			return nil, fmt.Errorf("hash admin password: %w", err)
		}
		created, err := q.UserInsert(ctx, sqlcgen.UserInsertParams{Username: username, PasswordHash: hash, Role: string(RoleAdmin)})
		if err != nil {
			return nil, fmt.Errorf("store admin %q: %w", username, err)
		}
		return []Entry{userEntry("user.create", nil, &created, true)}, nil
	}
	after := user
	if user.Role != string(RoleAdmin) || user.DisabledAt != nil {
		if after, err = q.UserUpdate(ctx, sqlcgen.UserUpdateParams{ID: user.ID, Role: string(RoleAdmin), Disabled: false}); err != nil {
			return nil, fmt.Errorf("make %q an admin again: %w", username, err)
		}
	}
	newPassword := bcrypt.CompareHashAndPassword([]byte(user.PasswordHash), []byte(password)) != nil
	if newPassword {
		if err := setPassword(ctx, q, user.ID, password, 0); err != nil {
			return nil, err
		}
	}
	entries := ifChanged(userEntry("user.update", &user, &after, newPassword))
	if !newPassword {
		return entries, nil
	}
	revoked, err := revokeTokensOf(ctx, q, user.ID)
	return append(entries, revoked...), err
}

// PasswordCost is bcrypt's cost for new password hashes. Tests lower it, to spend their time on
// what they check rather than on hashing.
var PasswordCost = bcrypt.DefaultCost

// HashPassword is what is stored of a password.
func HashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	return string(hash), err
}

// setPassword gives a user a new password and ends their sessions but keepSession (0 keeps none):
// whoever knew the old password is out.
func setPassword(ctx context.Context, q *sqlcgen.Queries, userID int64, password string, keepSession int64) error {
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := q.UserSetPassword(ctx, sqlcgen.UserSetPasswordParams{ID: userID, PasswordHash: hash}); err != nil {
		return fmt.Errorf("store password of user %d: %w", userID, err)
	}
	if _, err := q.SessionDeleteForUser(ctx, sqlcgen.SessionDeleteForUserParams{UserID: userID, KeepID: keepSession}); err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return nil
}
