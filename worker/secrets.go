package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// Secrets opens the secrets that runs name in their templates. Without a keyring (no
// CRONFLOW_SECRET_KEY) a run that names a secret fails, saying why.
type Secrets struct {
	q    *sqlcgen.Queries
	keys *secret.Keyring
}

// NewSecrets returns the secrets stored through q, opened with keys (nil when there is no key).
func NewSecrets(q *sqlcgen.Queries, keys *secret.Keyring) *Secrets {
	return &Secrets{q: q, keys: keys}
}

// OpenSecrets builds the keyring from the configured keys (nil without a current key) and, after
// a key rotation, seals again every secret still sealed with the previous key. It also seals the
// signing secrets of jobs and channels that are plain or under the previous key.
func OpenSecrets(ctx context.Context, q *sqlcgen.Queries, current, previous []byte, logger *slog.Logger) (*secret.Keyring, error) {
	if current == nil {
		return nil, nil
	}
	keys, err := secret.NewKeyring(current, previous)
	if err != nil {
		return nil, fmt.Errorf("CRONFLOW_SECRET_KEY: %w", err)
	}
	secrets := NewSecrets(q, keys)
	n, err := secrets.Reseal(ctx, logger)
	if n > 0 {
		logger.Info("Secrets sealed again with the new CRONFLOW_SECRET_KEY", "secrets", n)
	}
	signing, signErr := secrets.SealSigningSecrets(ctx, logger)
	if signing > 0 {
		logger.Info("Signing secrets sealed with CRONFLOW_SECRET_KEY", "rows", signing)
	}
	return keys, errors.Join(err, signErr)
}

// Values returns the values of the named secrets. A secret that is missing, or cannot be opened,
// fails the attempt without a retry: waiting does not bring it back. A database that is down is
// waited for, as the runner does for its other queries.
func (s *Secrets) Values(ctx context.Context, logger *slog.Logger, names []string) (map[string]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if s == nil || s.keys == nil {
		return nil, task.Permanent(fmt.Errorf("read secrets %s: %w", strings.Join(names, ", "), secret.ErrNoKey), "secrets cannot be read")
	}
	rows, err := retryDB(ctx, logger, "read secrets", func(ctx context.Context) ([]sqlcgen.SecretGetManyRow, error) {
		return s.q.SecretGetMany(ctx, names)
	})
	if err != nil {
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	values := make(map[string]string, len(rows))
	for _, r := range rows {
		v, err := s.keys.Open(r.Name, r.KeyID, r.Sealed)
		if err != nil {
			return nil, task.Permanent(err, "a secret cannot be opened")
		}
		values[r.Name] = string(v)
	}
	var missing []string
	for _, n := range names {
		if _, ok := values[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return values, task.Permanent(fmt.Errorf("read secrets: no secret named %s", strings.Join(missing, ", ")), "the job names a secret that does not exist")
	}
	return values, nil
}

// Reseal seals again, with the current key, every secret sealed with the previous one, after a
// key rotation. Replicas starting at the same time may all do it: each value is replaced only if
// it is still under the old key. It returns how many it sealed again; a secret under a key that
// is neither is logged and left as it is.
func (s *Secrets) Reseal(ctx context.Context, logger *slog.Logger) (int, error) {
	if s.keys == nil {
		return 0, nil
	}
	rows, err := s.q.SecretListSealedWithout(ctx, s.keys.KeyID())
	if err != nil {
		return 0, fmt.Errorf("list secrets to seal again: %w", err)
	}
	done := 0
	var errs []error
	for _, r := range rows {
		value, err := s.keys.Open(r.Name, r.KeyID, r.Sealed)
		if err != nil {
			logger.Error("Secret left sealed with an unknown key", "secret", r.Name, "error", err)
			continue
		}
		keyID, sealed, err := s.keys.Seal(r.Name, value)
		if err == nil {
			var n int64
			n, err = s.q.SecretReseal(ctx, sqlcgen.SecretResealParams{ID: r.ID, OldKeyID: r.KeyID, NewKeyID: keyID, Sealed: sealed})
			done += int(n)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("seal secret %s again: %w", r.Name, err))
		}
	}
	return done, errors.Join(errs...)
}
