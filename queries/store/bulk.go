package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Bulk actions (issue 27): one action on many jobs or runs, chosen by hand or by a filter. Each job
// or run changed gets its own audit entry, and the changes are made in transactions of at most
// bulkBatch, so that 10,000 of them neither hold 10,000 locks at once nor fail as one.

// bulkBatch is how many jobs or runs one transaction of a bulk action changes.
const bulkBatch = 200

// MaxBulk is the most jobs or runs one bulk action takes; a filter that matches more is refused,
// saying so, rather than cut short silently.
const MaxBulk = 10000

// The bulk actions on jobs; their words are the API's.
const (
	BulkPause  = "pause"
	BulkResume = "resume"
	BulkRun    = "run"
	BulkDelete = "delete"
	BulkRetry  = "retry"
)

// JobBulkActions are the actions POST /api/jobs/bulk takes, in the order the page offers them.
var JobBulkActions = []string{BulkPause, BulkResume, BulkRun, BulkDelete}

// BulkResult is what a bulk action did: the ids it changed, and the ids it passed over with the
// reason for each (already paused, not found, …).
type BulkResult struct {
	Done    []int64
	Skipped []BulkSkip
	// Runs are the runs a "run" or "retry" made or queued again, which the caller publishes (a
	// retried run has its id and its job's only).
	Runs []sqlcgen.Run
}

// BulkSkip is one id a bulk action passed over, and why.
type BulkSkip struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

// BulkJobs applies action (one of JobBulkActions) to each job of ids, in batches, each job changed
// audited as its own action would be ("job.pause", "job.run", …).
func (s *Store) BulkJobs(ctx context.Context, actor, action string, ids []int64) (BulkResult, error) {
	var res BulkResult
	if !slices.Contains(JobBulkActions, action) {
		return res, fmt.Errorf("bulk action %q is not one of %v", action, JobBulkActions)
	}
	now := time.Now()
	for batch := range slices.Chunk(ids, bulkBatch) {
		var part BulkResult
		// A delete may meet a result being recorded for its job (DeleteJob): the batch, which
		// changed nothing then, is tried again.
		err := retryDeadlock(func() error {
			return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
				part = BulkResult{}
				var entries []Entry
				for _, id := range batch {
					e, skip, err := bulkJob(ctx, q, action, id, now, &part)
					if err != nil {
						return nil, err
					}
					if skip != "" {
						part.Skipped = append(part.Skipped, BulkSkip{ID: id, Reason: skip})
						continue
					}
					part.Done = append(part.Done, id)
					entries = append(entries, e)
				}
				return entries, nil
			})
		})
		if err != nil {
			return res, fmt.Errorf("%s jobs: %w", action, err)
		}
		res.Done, res.Skipped, res.Runs = append(res.Done, part.Done...), append(res.Skipped, part.Skipped...), append(res.Runs, part.Runs...)
	}
	return res, nil
}

// bulkJob applies action to one job inside a batch's transaction, and answers its audit entry, or
// the reason it was passed over.
func bulkJob(ctx context.Context, q *sqlcgen.Queries, action string, id int64, now time.Time, res *BulkResult) (Entry, string, error) {
	old, err := q.JobGetForUpdate(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, "no longer exists", nil
	}
	if err != nil {
		return Entry{}, "", fmt.Errorf("lock job %d: %w", id, err)
	}
	switch action {
	case BulkPause, BulkResume:
		paused := action == BulkPause
		if old.Paused == paused {
			return Entry{}, "already " + map[bool]string{true: "paused", false: "active"}[paused], nil
		}
		_, e, err := setPaused(ctx, q, old, paused, now)
		return e, "", err
	case BulkRun:
		run, e, err := runNow(ctx, q, old)
		if err == nil {
			res.Runs = append(res.Runs, run)
		}
		return e, "", err
	}
	e, err := deleteJob(ctx, q, old)
	return e, "", err
}

// BulkRetryRuns queues again each run of ids that failed for good or was missed, in batches of one
// statement (RunRetryMany), each run audited on its own ("run.retry"); the others are passed over
// with their status.
func (s *Store) BulkRetryRuns(ctx context.Context, actor string, ids []int64) (BulkResult, error) {
	var res BulkResult
	for batch := range slices.Chunk(ids, bulkBatch) {
		var part BulkResult
		err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
			part = BulkResult{}
			var entries []Entry
			rows, err := q.RunRetryMany(ctx, batch)
			if err != nil {
				return nil, fmt.Errorf("retry %d runs: %w", len(batch), err)
			}
			retried := make(map[int64]sqlcgen.RunRetryManyRow, len(rows))
			for _, row := range rows {
				retried[row.ID] = row
			}
			for _, id := range batch {
				row, ok := retried[id]
				if !ok {
					part.Skipped = append(part.Skipped, BulkSkip{ID: id, Reason: notRetryableReason(ctx, q, id)})
					continue
				}
				delete(retried, id) // an id named twice is queued again once
				part.Done, part.Runs = append(part.Done, id), append(part.Runs, sqlcgen.Run{ID: row.ID, JobID: row.JobID})
				entries = append(entries, retryEntry(row.JobID, row.JobName, []int64{row.ID}))
			}
			return entries, nil
		})
		if err != nil {
			return res, fmt.Errorf("retry runs: %w", err)
		}
		res.Done, res.Skipped, res.Runs = append(res.Done, part.Done...), append(res.Skipped, part.Skipped...), append(res.Runs, part.Runs...)
	}
	return res, nil
}

// notRetryableReason says why a run could not be queued again: it does not exist, or its status.
func notRetryableReason(ctx context.Context, q *sqlcgen.Queries, id int64) string {
	cur, err := q.RunGet(ctx, id)
	if err != nil {
		return "no longer exists"
	}
	return strings.ToLower(cur.Status.Label()) + ", not failed for good or missed"
}
