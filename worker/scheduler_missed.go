package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// storeCatchUp records the missed slots and moves each job's next run on, in batches, in one
// transaction with the job.missed notices of the jobs whose alerts.on names "missed" (issues 21
// and 22): a missed run and its notices are made together or not at all, each once, since a slot
// that has a run is not recorded again. The notices are published once the transaction has
// committed; one that is not is published by the Reaper.
func (s *Scheduler) storeCatchUp(ctx context.Context, missed sqlcgen.RunInsertMissedParams, next sqlcgen.JobSetNextRunsParams) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin catch-up: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q := s.q.WithTx(tx)
	var notices []int64
	for i := 0; i < len(missed.JobIds); i += missedBatch {
		j := min(i+missedBatch, len(missed.JobIds))
		made, err := q.RunInsertMissed(ctx, sqlcgen.RunInsertMissedParams{JobIds: missed.JobIds[i:j],
			ScheduledAts: missed.ScheduledAts[i:j], Reasons: missed.Reasons[i:j]})
		if err != nil {
			return fmt.Errorf("record missed runs: %w", err)
		}
		ids, err := q.NoticeInsertMissed(ctx, missedNotices(made, time.Now().UTC()))
		if err != nil {
			return fmt.Errorf("make missed notices: %w", err)
		}
		notices = append(notices, ids...)
	}
	for i := 0; i < len(next.Ids); i += missedBatch {
		j := min(i+missedBatch, len(next.Ids))
		if err := q.JobSetNextRuns(ctx, sqlcgen.JobSetNextRunsParams{Ids: next.Ids[i:j],
			NextRunAts: next.NextRunAts[i:j], UpdatedAts: next.UpdatedAts[i:j]}); err != nil {
			return fmt.Errorf("move next runs on: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit catch-up: %w", err)
	}
	if len(notices) > 0 && s.disp.out != nil {
		s.disp.out.PublishNotices(ctx, notices)
	}
	return nil
}

// missedNotices are the details of a job.missed notice for each run made missed (a slot in a
// blackout is skipped, and not told of here); the query makes them for the jobs that ask.
func missedNotices(made []sqlcgen.RunInsertMissedRow, at time.Time) sqlcgen.NoticeInsertMissedParams {
	var p sqlcgen.NoticeInsertMissedParams
	for _, r := range made {
		if r.Status != runstatus.Missed {
			continue
		}
		details, _ := json.Marshal(notify.Event{Event: notify.Missed, Job: &notify.EventJob{ID: r.JobID},
			Run: &notify.EventRun{ID: r.ID, Status: string(r.Status), Error: r.Error, ScheduledAt: r.ScheduledAt},
			At:  at})
		p.RunIds, p.JobIds, p.Details = append(p.RunIds, r.ID), append(p.JobIds, r.JobID), append(p.Details, string(details))
	}
	return p
}
