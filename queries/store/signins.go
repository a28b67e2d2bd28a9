package store

import (
	"context"
	"fmt"

	"github.com/cronflow/cronflow/sqlcgen"
)

// RecordSignIn notes in the audit log that username finished signing in: how they proved who
// they are (method: password, oidc, passkey) and the second factor of the second step, if any
// (totp, recovery, passkey; "" for none). The user is the actor: nobody else signs them in. It
// also sets the user's last login, which the users page and GET /api/users show: every way of
// signing in ends here, once its last step is passed.
func (s *Store) RecordSignIn(ctx context.Context, username, method, factor string) error {
	return s.write(ctx, username, func(q *sqlcgen.Queries) ([]Entry, error) {
		if err := q.UserSetLastLogin(ctx, username); err != nil {
			return nil, fmt.Errorf("set last login of %s: %w", username, err)
		}
		e := factorEntry("user.sign_in", username, "method", nil, method)
		if factor != "" {
			e.Changes["second_factor"] = FieldChange{From: orNull(nil), To: jsonValue(factor)}
		}
		return []Entry{e}, nil
	})
}

// UseRecoveryCode spends one of the user's unused recovery codes, with an audit entry saying how
// many are left, never the code; ok is false, and nothing recorded, when code is wrong or spent.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, username, code string) (ok bool, err error) {
	err = s.write(ctx, username, func(q *sqlcgen.Queries) ([]Entry, error) {
		n, err := q.RecoveryCodeUse(ctx, sqlcgen.RecoveryCodeUseParams{UserID: userID, CodeHash: HashRecoveryCode(code)})
		if err != nil {
			return nil, fmt.Errorf("use recovery code of user %d: %w", userID, err)
		}
		if n == 0 {
			return nil, nil
		}
		left, err := q.RecoveryCodeCountUnused(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("count recovery codes of user %d: %w", userID, err)
		}
		ok = true
		return []Entry{factorEntry("user.recovery_code_used", username, "recovery_codes_left", left+1, left)}, nil
	})
	return ok && err == nil, err
}
