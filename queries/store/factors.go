package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
)

// The changes to a user's second factors (a TOTP secret with its recovery codes, passkeys), each
// made in one transaction with its audit entry. Secrets, codes and keys never reach the log.

// ErrFactorEnrolled is StartTOTP's answer for a user who has a confirmed TOTP secret already.
var ErrFactorEnrolled = errors.New("a TOTP secret is enrolled already")

// recoveryCodeCount is how many recovery codes a confirmed TOTP secret comes with.
const recoveryCodeCount = 10

// StartTOTP stores secret, unconfirmed, as the user's new TOTP secret; it counts only once confirmed
// (see ConfirmTOTP), so that a secret nobody scanned cannot lock anyone out. It is sealed when
// there is a secret key (see TOTPSecret).
func (s *Store) StartTOTP(ctx context.Context, userID int64, secret string) error {
	stored, err := s.sealTOTP(userID, secret)
	if err != nil {
		return err
	}
	_, err = s.q.TOTPStart(ctx, sqlcgen.TOTPStartParams{UserID: userID, Secret: stored})
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrFactorEnrolled
	}
	if err != nil {
		return fmt.Errorf("start TOTP of user %d: %w", userID, err)
	}
	return nil
}

// ConfirmTOTP makes the user's unconfirmed TOTP secret count, step being the time step of the code
// that proved it, and returns a fresh set of recovery codes, shown once: only their hashes are
// stored. ok is false when there was nothing to confirm.
func (s *Store) ConfirmTOTP(ctx context.Context, actor string, caller Caller, step int64) (codes []string, ok bool, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		n, err := q.TOTPConfirm(ctx, sqlcgen.TOTPConfirmParams{UserID: caller.UserID, Step: step})
		if err != nil || n == 0 {
			return nil, err
		}
		if codes, err = newRecoveryCodes(ctx, q, caller.UserID); err != nil {
			return nil, err
		}
		ok = true
		return []Entry{factorEntry("user.totp_enable", caller.Name, "totp", nil, true)}, nil
	})
	return codes, ok, err
}

// newRecoveryCodes replaces the user's recovery codes with new ones.
func newRecoveryCodes(ctx context.Context, q *sqlcgen.Queries, userID int64) ([]string, error) {
	if err := q.RecoveryCodeDeleteForUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("delete recovery codes of user %d: %w", userID, err)
	}
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		err := q.RecoveryCodeInsert(ctx, sqlcgen.RecoveryCodeInsertParams{UserID: userID, CodeHash: HashRecoveryCode(codes[i])})
		if err != nil {
			return nil, fmt.Errorf("store recovery code of user %d: %w", userID, err)
		}
	}
	return codes, nil
}

// newRecoveryCode is ten random letters and digits (50 bits), in two groups of five.
func newRecoveryCode() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789" // 32 signs, none mistaken for another
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

// HashRecoveryCode is what is stored of a recovery code: case, spaces and dashes do not matter.
func HashRecoveryCode(code string) []byte {
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	return HashToken("recovery:" + code)
}

// DisableTOTP removes the user's TOTP secret and recovery codes, and records it.
func (s *Store) DisableTOTP(ctx context.Context, actor string, caller Caller) error {
	return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		n, err := q.TOTPDelete(ctx, caller.UserID)
		if err != nil {
			return nil, fmt.Errorf("delete TOTP of user %d: %w", caller.UserID, err)
		}
		if err := q.RecoveryCodeDeleteForUser(ctx, caller.UserID); err != nil {
			return nil, fmt.Errorf("delete recovery codes of user %d: %w", caller.UserID, err)
		}
		if n == 0 {
			return nil, nil
		}
		return []Entry{factorEntry("user.totp_disable", caller.Name, "totp", true, nil)}, nil
	})
}

// AddPasskey stores a passkey the user registered, under a name, and records it.
func (s *Store) AddPasskey(ctx context.Context, actor string, caller Caller, name string, credentialID, credential []byte) error {
	return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		_, err := q.PasskeyInsert(ctx, sqlcgen.PasskeyInsertParams{UserID: caller.UserID, Name: name,
			CredentialID: credentialID, Credential: credential})
		if err != nil {
			return nil, fmt.Errorf("store passkey of user %d: %w", caller.UserID, err)
		}
		return []Entry{factorEntry("user.passkey_add", caller.Name, "passkey", nil, name)}, nil
	})
}

// RemovePasskey removes one of the user's passkeys and records it; another user's is pgx.ErrNoRows.
func (s *Store) RemovePasskey(ctx context.Context, actor string, caller Caller, id int64) error {
	return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		name, err := q.PasskeyDelete(ctx, sqlcgen.PasskeyDeleteParams{ID: id, UserID: caller.UserID})
		if err != nil {
			return nil, err
		}
		return []Entry{factorEntry("user.passkey_remove", caller.Name, "passkey", name, nil)}, nil
	})
}

// ErrBootstrapFactors refuses a reset of the bootstrap admin's second factors by anyone but
// itself, as ErrBootstrapPassword does for its password: another admin could otherwise take its
// second step away and, with its password, its account.
var ErrBootstrapFactors = errors.New("only the bootstrap admin (CRONFLOW_ADMIN_USER) itself can reset its second factors")

// ResetFactors removes every second factor of a user (their TOTP secret, recovery codes and
// passkeys) and ends their sessions: an admin's way to let someone who lost them in again.
func (s *Store) ResetFactors(ctx context.Context, actor string, caller Caller, target sqlcgen.User) error {
	if s.adminUser != "" && target.Username == s.adminUser && caller.UserID != target.ID {
		return ErrBootstrapFactors
	}
	return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		if _, err := q.TOTPDelete(ctx, target.ID); err != nil {
			return nil, fmt.Errorf("delete TOTP of user %d: %w", target.ID, err)
		}
		if err := q.RecoveryCodeDeleteForUser(ctx, target.ID); err != nil {
			return nil, fmt.Errorf("delete recovery codes of user %d: %w", target.ID, err)
		}
		if err := q.PasskeyDeleteForUser(ctx, target.ID); err != nil {
			return nil, fmt.Errorf("delete passkeys of user %d: %w", target.ID, err)
		}
		if _, err := q.SessionDeleteForUser(ctx, sqlcgen.SessionDeleteForUserParams{UserID: target.ID}); err != nil {
			return nil, fmt.Errorf("end sessions of user %d: %w", target.ID, err)
		}
		return []Entry{factorEntry("user.factors_reset", target.Username, "factors", "(all)", nil)}, nil
	})
}

// factorEntry is the audit entry of a change to a user's factors: field goes from one value to
// another, nil meaning none.
func factorEntry(action, username, field string, from, to any) Entry {
	return Entry{Action: action, Subject: username, Changes: map[string]FieldChange{
		field: {From: orNull(jsonValue(from)), To: orNull(jsonValue(to))},
	}}
}

// jsonValue is v as JSON; nil is nothing.
func jsonValue(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	raw, _ := json.Marshal(v) // strings and booleans: it cannot fail
	return raw
}
