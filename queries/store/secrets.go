package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
)

// maxSecretValue bounds a secret's value: a token or a password, not a file.
const maxSecretValue = 8 << 10

// The changes to secrets, for the API and the dashboard alike. Values go in sealed and never come
// out: no answer, page or log line holds one. Each change is recorded in the audit log by the
// secret's name, its value shown as secretValue.

// secretEntry is the audit entry of a change to a secret: its name, and that its value was set
// (created), replaced (updated) or removed (deleted), never the value.
func secretEntry(action, name string) Entry {
	change := FieldChange{From: secretValue, To: secretValue}
	switch action {
	case "secret.create":
		change.From = orNull(nil)
	case "secret.delete":
		change.To = orNull(nil)
	}
	return Entry{Action: action, Subject: name, Changes: map[string]FieldChange{"value": change}}
}

// Secret is a stored secret as its callers see it: its name and dates, never its value.
type Secret struct {
	Name                 string
	CreatedAt, UpdatedAt time.Time
}

// ErrSecretExists and ErrSecretInUse are the refusals of CreateSecret and DeleteSecret.
var (
	ErrSecretExists = errors.New("secret exists")
	ErrSecretInUse  = errors.New("secret in use")
)

// checkValue returns the problems with a secret's value by field.
func checkValue(value string, problems map[string]string) {
	switch {
	case value == "":
		problems["value"] = "is required"
	case len(value) > maxSecretValue:
		problems["value"] = fmt.Sprintf("must be at most %d bytes", maxSecretValue)
	case strings.ContainsRune(value, 0):
		problems["value"] = "must not contain NUL characters"
	}
}

// seal encrypts a value for storing, or returns secret.ErrNoKey when secrets are off.
func (s *Store) seal(name, value string) (string, []byte, error) {
	if s.keys == nil {
		return "", nil, secret.ErrNoKey
	}
	keyID, sealed, err := s.keys.Seal(name, []byte(value))
	if err != nil {
		return "", nil, fmt.Errorf("seal secret %s: %w", name, err)
	}
	return keyID, sealed, nil
}

// sealChecked checks a value, adding to the problems found already, and seals it when there are
// none: the problems, or the key id and sealed value to store.
func (s *Store) sealChecked(name, value string, problems map[string]string) (string, []byte, map[string]string, error) {
	checkValue(value, problems)
	if len(problems) > 0 {
		return "", nil, problems, nil
	}
	keyID, sealed, err := s.seal(name, value)
	return keyID, sealed, nil, err
}

// CreateSecret stores a new secret, or returns its problems by field, ErrSecretExists or
// secret.ErrNoKey when secrets are off.
func (s *Store) CreateSecret(ctx context.Context, actor, name, value string) (out Secret, problems map[string]string, err error) {
	problems = map[string]string{}
	if problem := secret.CheckName(name); problem != "" {
		problems["name"] = problem
	}
	keyID, sealed, problems, err := s.sealChecked(name, value, problems)
	if err != nil || len(problems) > 0 {
		return Secret{}, problems, err
	}
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		row, err := q.SecretInsert(ctx, sqlcgen.SecretInsertParams{Name: name, KeyID: keyID, Sealed: sealed})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrSecretExists
		}
		if err != nil {
			return nil, fmt.Errorf("insert secret %s: %w", name, err)
		}
		out = Secret{Name: row.Name, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
		return []Entry{secretEntry("secret.create", name)}, nil
	})
	return out, nil, err
}

// UpdateSecret gives a secret a new value; a secret that does not exist is pgx.ErrNoRows.
func (s *Store) UpdateSecret(ctx context.Context, actor, name, value string) (out Secret, problems map[string]string, err error) {
	keyID, sealed, problems, err := s.sealChecked(name, value, map[string]string{})
	if err != nil || len(problems) > 0 {
		return Secret{}, problems, err
	}
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		row, err := q.SecretUpdate(ctx, sqlcgen.SecretUpdateParams{Name: name, KeyID: keyID, Sealed: sealed})
		if err != nil {
			return nil, fmt.Errorf("update secret %s: %w", name, err)
		}
		out = Secret{Name: row.Name, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
		return []Entry{secretEntry("secret.update", name)}, nil
	})
	return out, nil, err
}

// DeleteSecret deletes a secret if no job uses it. In use, it returns ErrSecretInUse with the jobs
// that use it; a secret that does not exist is pgx.ErrNoRows.
func (s *Store) DeleteSecret(ctx context.Context, actor, name string) (users []sqlcgen.SecretJobsUsingRow, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		n, err := q.SecretDelete(ctx, name)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return []Entry{secretEntry("secret.delete", name)}, nil
		}
		if users, err = q.SecretJobsUsing(ctx, name); err != nil {
			return nil, fmt.Errorf("list jobs using secret %s: %w", name, err)
		}
		if len(users) == 0 {
			return nil, pgx.ErrNoRows
		}
		return nil, ErrSecretInUse
	})
	return users, err
}

// SecretsOn reports whether secrets can be stored: whether there is a key to seal them with.
func (s *Store) SecretsOn() bool { return s.keys != nil }
