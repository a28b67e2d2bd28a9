package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cronflow/cronflow/sqlcgen"
)

// The changes to a job that the API, the dashboard and an import share. Each reads the job it
// changes with a lock, changes it and records the change in the audit log, in one transaction.

// CreateJob stores a new job.
func (s *Store) CreateJob(ctx context.Context, actor string, spec JobSpec) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	p := spec.insertParams()
	signing, err := s.sealSigning(p.SigningSecret)
	if err != nil {
		return job, err
	}
	p.SigningSecret = signing
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		if job, err = q.JobInsert(ctx, p); err != nil {
			return nil, fmt.Errorf("insert job: %w", err)
		}
		if job, err = fixNextRun(ctx, q, job, time.Now()); err != nil {
			return nil, err
		}
		return []Entry{jobEntry("job.create", nil, &job)}, nil
	})
	return job, err
}

// UpdateJob replaces a job's settings. A job that does not exist is pgx.ErrNoRows. A failing job's
// channels added by the change get its failing notice at once (tellUntold).
func (s *Store) UpdateJob(ctx context.Context, actor string, id int64, spec JobSpec) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	var notices []int64
	if sched, err := spec.schedule(id); err == nil {
		spec.NextRunAt = nextRun(sched, time.Now()) // its H tokens and jitter, chosen from its id
	}
	p := spec.updateParams(id)
	signing, err := s.sealSigning(p.SigningSecret) // kept by the query when the job has one
	if err != nil {
		return job, err
	}
	p.SigningSecret = signing
	_, err = lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).JobGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Job) ([]Entry, error) {
		var err error
		if job, err = q.JobUpdate(ctx, p); err != nil {
			return nil, fmt.Errorf("update job %d: %w", id, err)
		}
		if notices, err = tellUntold(ctx, q, []int64{id}); err != nil {
			return nil, err
		}
		return ifChanged(jobEntry("job.update", &old, &job)), nil
	})
	if err == nil {
		s.publishNotices(ctx, notices)
	}
	return job, err
}

// DeleteJob deletes a job, and answers the job as it was; its runs are deleted after it, in the
// background (worker/purger.go). A job that does not exist is pgx.ErrNoRows. Its audit history stays.
func (s *Store) DeleteJob(ctx context.Context, actor string, id int64) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	err := retryDeadlock(func() (err error) {
		job, err = lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).JobGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Job) ([]Entry, error) {
			e, err := deleteJob(ctx, q, old)
			return []Entry{e}, err
		})
		return err
	})
	return job, err
}

// deleteJob deletes the locked job old, in its caller's transaction, and answers its audit entry.
func deleteJob(ctx context.Context, q *sqlcgen.Queries, old sqlcgen.Job) (Entry, error) {
	if _, err := q.JobDelete(ctx, old.ID); err != nil {
		return Entry{}, fmt.Errorf("delete job %d: %w", old.ID, err)
	}
	return jobEntry("job.delete", &old, nil), nil
}

// retryDeadlock runs write, a whole transaction, up to deleteTries times while PostgreSQL ends it
// for a deadlock. Deleting a job's row also deletes its alert state and notices, which a run's
// result being recorded at that moment may hold while it waits for the job's row: PostgreSQL then
// ends one of the two, and the delete, which has changed nothing yet, is tried again.
func retryDeadlock(write func() error) error {
	for try := 1; ; try++ {
		err := write()
		var pgErr *pgconn.PgError
		if try < deleteTries && errors.As(err, &pgErr) && pgErr.Code == "40P01" {
			continue
		}
		return err
	}
}

// deleteTries is how many times a job's delete is tried when PostgreSQL ends it for a deadlock.
const deleteTries = 3

// SetPaused pauses or resumes a job and records it in the audit log unless nothing changed. The
// next run is computed either way, so that a resumed job shows when it runs. A job that does not
// exist is pgx.ErrNoRows.
func (s *Store) SetPaused(ctx context.Context, actor string, id int64, paused bool) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	_, err := lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).JobGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Job) ([]Entry, error) {
		var e Entry
		var err error
		job, e, err = setPaused(ctx, q, old, paused, time.Now())
		return ifChanged(e), err
	})
	return job, err
}

// setPaused pauses or resumes the locked job old, in its caller's transaction, with its next run
// computed from now, and answers the job and its audit entry.
func setPaused(ctx context.Context, q *sqlcgen.Queries, old sqlcgen.Job, paused bool, now time.Time) (sqlcgen.Job, Entry, error) {
	var next *time.Time
	if sched, err := JobSchedule(old); err == nil {
		next = nextRun(sched, now)
	}
	job, err := q.JobSetPaused(ctx, sqlcgen.JobSetPausedParams{ID: old.ID, Paused: paused, NextRunAt: next})
	if err != nil {
		return job, Entry{}, fmt.Errorf("pause job %d: %w", old.ID, err)
	}
	action := "job.resume"
	if paused {
		action = "job.pause"
	}
	return job, jobEntry(action, &old, &job), nil
}

// RunNow makes a manual run of a job and records it in the audit log; the caller publishes the run
// once this has committed. A job that does not exist is pgx.ErrNoRows.
func (s *Store) RunNow(ctx context.Context, actor string, jobID int64) (sqlcgen.Job, sqlcgen.Run, error) {
	var job sqlcgen.Job
	var run sqlcgen.Run
	err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		if job, err = q.JobGet(ctx, jobID); err != nil {
			return nil, err
		}
		var e Entry
		run, e, err = runNow(ctx, q, job)
		return []Entry{e}, err
	})
	return job, run, err
}

// runNow makes a manual run of job, in its caller's transaction, and answers it and its audit entry.
func runNow(ctx context.Context, q *sqlcgen.Queries, job sqlcgen.Job) (sqlcgen.Run, Entry, error) {
	run, err := q.RunInsertManual(ctx, job.ID)
	if err != nil {
		return run, Entry{}, fmt.Errorf("insert run of job %d: %w", job.ID, err)
	}
	changes := map[string]FieldChange{"run_id": newValue(run.ID)}
	return run, Entry{Action: "job.run", Subject: job.Name, JobID: &job.ID, Changes: changes}, nil
}

// CheckJobRefs adds a problem for each alert channel and secret a job names that does not exist,
// for the API and the form alike.
func (s *Store) CheckJobRefs(ctx context.Context, spec JobSpec, problems map[string]string) error {
	if err := checkAlertChannels(ctx, s.q, spec.AlertChannels, problems); err != nil {
		return err
	}
	if err := s.CheckAfter(ctx, 0, spec, problems); err != nil {
		return err
	}
	return checkSecretRefs(ctx, s.q, spec, problems)
}

// checkSecretRefs adds a problem for each secret a job names that does not exist, on the payload
// field that names it, so that a job cannot be saved with a reference that would fail every run.
func checkSecretRefs(ctx context.Context, q *sqlcgen.Queries, spec JobSpec, problems map[string]string) error {
	var all []string
	for _, names := range spec.SecretRefs {
		all = append(all, names...)
	}
	if len(all) == 0 {
		return nil
	}
	known, err := q.SecretNamesIn(ctx, all)
	if err != nil {
		return fmt.Errorf("check secret references: %w", err)
	}
	for field, names := range spec.SecretRefs {
		for _, name := range names {
			if !slices.Contains(known, name) && problems[field] == "" {
				problems[field] = missingSecret(name)
			}
		}
	}
	return nil
}

// missingSecret is the problem of a reference to a secret that does not exist.
func missingSecret(name string) string {
	return fmt.Sprintf("names the secret %s, which does not exist: create it on the Secrets page or with POST /api/secrets", name)
}
