package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// NotRetryableError refuses to retry a run that is not in a status a run can be retried from.
type NotRetryableError struct {
	ID     int64
	Status runstatus.Status
}

func (e *NotRetryableError) Error() string {
	return fmt.Sprintf("run %d is %s and cannot be retried", e.ID, e.Status)
}

// RetryRun puts a run that failed for good (or was missed) back in the queue as its next attempt
// and records that in the audit log; the caller publishes it once this has committed. Any other
// run is a *NotRetryableError; a run that does not exist is pgx.ErrNoRows.
func (s *Store) RetryRun(ctx context.Context, actor string, id int64) (sqlcgen.Run, error) {
	var run sqlcgen.Run
	err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		run, err = q.RunRetry(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err := q.RunGet(ctx, id)
			if err != nil {
				return nil, err
			}
			return nil, &NotRetryableError{ID: id, Status: cur.Status}
		}
		if err != nil {
			return nil, fmt.Errorf("retry run %d: %w", id, err)
		}
		job, err := q.JobGet(ctx, run.JobID)
		if err != nil {
			return nil, fmt.Errorf("read the job of run %d: %w", id, err)
		}
		return []Entry{retryEntry(job.ID, job.Name, []int64{run.ID})}, nil
	})
	return run, err
}

// RetrySelection names the runs a bulk retry retries: the runs by id, or a job's runs in a status,
// at most Limit of them.
type RetrySelection struct {
	IDs    []int64
	JobID  *int64
	Status runstatus.Status
	Limit  int32
}

// RetryRuns retries the runs sel names and records one audit entry for each job whose runs it
// retried; it answers the runs queued, which the caller publishes once this has committed. Runs
// that cannot be retried (or do not exist) are passed over.
func (s *Store) RetryRuns(ctx context.Context, actor string, sel RetrySelection) ([]sqlcgen.RunRetryManyRow, error) {
	var rows []sqlcgen.RunRetryManyRow
	err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		ids := sel.IDs
		if sel.JobID != nil {
			var err error
			ids, err = q.RunIDsByJobAndStatus(ctx, sqlcgen.RunIDsByJobAndStatusParams{JobID: *sel.JobID, Status: sel.Status, MaxRows: sel.Limit})
			if err != nil {
				return nil, fmt.Errorf("list runs of job %d to retry: %w", *sel.JobID, err)
			}
		}
		var err error
		if rows, err = q.RunRetryMany(ctx, ids); err != nil {
			return nil, fmt.Errorf("retry runs: %w", err)
		}
		var entries []Entry
		for start := 0; start < len(rows); { // rows come by job
			end := start
			var runIDs []int64
			for ; end < len(rows) && rows[end].JobID == rows[start].JobID; end++ {
				runIDs = append(runIDs, rows[end].ID)
			}
			entries = append(entries, retryEntry(rows[start].JobID, rows[start].JobName, runIDs))
			start = end
		}
		return entries, nil
	})
	return rows, err
}

// retryEntry is the audit entry of a job's runs retried by hand: the run, or how many and which.
func retryEntry(jobID int64, jobName string, runIDs []int64) Entry {
	changes := map[string]FieldChange{"run_id": newValue(runIDs[0])}
	if len(runIDs) > 1 {
		changes = map[string]FieldChange{"runs": newValue(len(runIDs)), "run_ids": newValue(runIDs)}
	}
	return Entry{Action: "run.retry", Subject: jobName, JobID: &jobID, Changes: changes}
}
