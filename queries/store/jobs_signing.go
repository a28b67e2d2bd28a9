package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// Signing secrets (issues 20 and 22). With a key (CRONFLOW_SECRET_KEY), every signing secret the
// store makes, a job's or a channel's, is stored sealed; without one, plain as before. The worker
// opens them where it signs, and seals at startup those stored plain before there was a key.

// ErrJobNotSigned is the refusal to rotate the signing secret of a job that signs nothing: only a
// webhook job with signing on has a secret.
var ErrJobNotSigned = errors.New("job does not sign its requests")

// newSigningSecret makes a signing secret, sealed when there is a key.
func (s *Store) newSigningSecret() (string, error) {
	return s.keys.SealText(task.NewSigningSecret())
}

// sealSigning seals a signing secret made for a job's insert or update; nil stays nil.
func (s *Store) sealSigning(plain *string) (*string, error) {
	if plain == nil {
		return nil, nil
	}
	sealed, err := s.keys.SealText(*plain)
	if err != nil {
		return nil, err
	}
	return &sealed, nil
}

// OpenSigningSecret returns a stored signing secret as receivers know it: a plain one as it is, a
// sealed one opened with the store's keys.
func (s *Store) OpenSigningSecret(stored string) (string, error) {
	return s.keys.OpenText(stored)
}

// RotateJobSigningSecret gives a signed webhook job a new signing secret. For overlap, the secret
// it replaces stays valid: each request carries a signature by each, so that receivers can change
// the secret they verify with in their own time. The audit log records the rotation and until when
// the old secret stays valid, never a secret. A job that does not exist is pgx.ErrNoRows; one that
// signs nothing is ErrJobNotSigned.
func (s *Store) RotateJobSigningSecret(ctx context.Context, actor string, id int64, overlap time.Duration) (sqlcgen.Job, error) {
	next, err := s.newSigningSecret()
	if err != nil {
		return sqlcgen.Job{}, err
	}
	var job sqlcgen.Job
	_, err = lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).JobGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Job) ([]Entry, error) {
		if old.SigningSecret == nil || !task.Signed(old.Type, old.Payload) {
			return nil, ErrJobNotSigned
		}
		var err error
		job, err = q.JobRotateSigningSecret(ctx, sqlcgen.JobRotateSigningSecretParams{ID: id,
			SigningSecret: &next, OverlapMs: overlap.Milliseconds()})
		if err != nil {
			return nil, fmt.Errorf("rotate signing secret of job %d: %w", id, err)
		}
		from, _ := json.Marshal(old.PreviousSecretUntil) // a time or null: it cannot fail
		to, _ := json.Marshal(job.PreviousSecretUntil)
		return []Entry{{Action: "job.rotate_signing_secret", Subject: old.Name, JobID: &job.ID,
			Changes: map[string]FieldChange{
				"signing_secret":        {From: secretValue, To: secretValue},
				"previous_secret_until": {From: from, To: to},
			}}}, nil
	})
	return job, err
}

// sealImported seals the signing secrets made for the jobs of an import, before they are stored.
func (s *Store) sealImported(jobs []ImportedJob) error {
	for i := range jobs {
		sealed, err := s.sealSigning(jobs[i].job.SigningSecret)
		if err != nil {
			return err
		}
		jobs[i].job.SigningSecret = sealed
	}
	return nil
}
