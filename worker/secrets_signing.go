package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// Signing secrets (issue 20): jobs' and channels' whsec_ secrets are stored sealed when there is a
// key (secret.Keyring.SealText). The runner and the notifier open them as they sign; at startup,
// the plain ones stored before there was a key, and those sealed with the previous key, are sealed
// with the current one.

// openSigning opens a job's or a channel's stored signing secret and the previous one ("" for
// none). One that cannot be opened fails the attempt for good: waiting does not bring the key.
func (s *Secrets) openSigning(stored, previous string) (string, string, error) {
	var keys *secret.Keyring
	if s != nil {
		keys = s.keys
	}
	current, err := keys.OpenText(stored)
	if err == nil {
		previous, err = keys.OpenText(previous)
	}
	if err != nil {
		return "", "", task.Permanent(fmt.Errorf("open signing secret: %w", err), "the signing secret cannot be opened")
	}
	return current, previous, nil
}

// SealSigningSecrets seals, with the current key, every job's and channel's signing secret that is
// plain or sealed with the previous key. Each row is replaced only if it still holds what was read,
// so replicas starting together, or a rotation meanwhile, do no harm. It returns how many rows it
// sealed; a secret under a key that is neither is logged and left as it is.
func (s *Secrets) SealSigningSecrets(ctx context.Context, logger *slog.Logger) (int, error) {
	if s.keys == nil {
		return 0, nil
	}
	prefix := s.keys.SealedTextPrefix()
	jobs, err := s.q.JobListSigningSecretsToSeal(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("list job signing secrets to seal: %w", err)
	}
	done := 0
	var errs []error
	for _, j := range jobs {
		current, previous, err := s.sealPair(deref(j.SigningSecret), deref(j.PreviousSigningSecret))
		if err != nil {
			logger.Error("Job signing secret left as it is", "job_id", j.ID, "error", err)
			continue
		}
		n, err := s.q.JobSealSigningSecrets(ctx, sqlcgen.JobSealSigningSecretsParams{ID: j.ID,
			OldSecret: j.SigningSecret, OldPrevious: j.PreviousSigningSecret,
			NewSecret: orNil(current, j.SigningSecret), NewPrevious: orNil(previous, j.PreviousSigningSecret)})
		done += int(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("seal signing secret of job %d: %w", j.ID, err))
		}
	}
	n, err := s.sealChannelSigningSecrets(ctx, prefix, logger)
	return done + n, errors.Join(append(errs, err)...)
}

// sealChannelSigningSecrets is SealSigningSecrets for channels.
func (s *Secrets) sealChannelSigningSecrets(ctx context.Context, prefix string, logger *slog.Logger) (int, error) {
	channels, err := s.q.ChannelListSigningSecretsToSeal(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("list channel signing secrets to seal: %w", err)
	}
	done := 0
	var errs []error
	for _, c := range channels {
		current, previous, err := s.sealPair(c.SigningSecret, deref(c.PreviousSigningSecret))
		if err != nil {
			logger.Error("Channel signing secret left as it is", "channel_id", c.ID, "error", err)
			continue
		}
		n, err := s.q.ChannelSealSigningSecrets(ctx, sqlcgen.ChannelSealSigningSecretsParams{ID: c.ID,
			OldSecret: c.SigningSecret, OldPrevious: c.PreviousSigningSecret,
			NewSecret: current, NewPrevious: orNil(previous, c.PreviousSigningSecret)})
		done += int(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("seal signing secret of channel %d: %w", c.ID, err))
		}
	}
	return done, errors.Join(errs...)
}

// sealPair opens a stored secret and its previous one and seals both with the current key; ""
// stays "".
func (s *Secrets) sealPair(stored, previous string) (string, string, error) {
	var out [2]string
	for i, v := range []string{stored, previous} {
		if v == "" {
			continue
		}
		plain, err := s.keys.OpenText(v)
		if err != nil {
			return "", "", err
		}
		if out[i], err = s.keys.SealText(plain); err != nil {
			return "", "", err
		}
	}
	return out[0], out[1], nil
}

// orNil is v for a column that held a value (was is not nil), and nil for one that held none.
func orNil(v string, was *string) *string {
	if was == nil {
		return nil
	}
	return &v
}
