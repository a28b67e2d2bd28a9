package worker

import (
	"context"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// maxOverdue bounds the jobs one catch-up looks at; the rest wait for the next, a minute later.
const maxOverdue = 10000

// missedBatch is how many missed slots, or next-run updates, go into one statement.
const missedBatch = 1000

// catchUpMissed applies each overdue job's catch-up policy (see schedule.Catchup.Plan) to the
// slots that passed without a run, up to inFlight before now: it hands the slots to run to the
// dispatcher and records the others as missed runs, with the reason, so that none is skipped in
// silence. A slot that did get its run keeps it: the (job, slot) key sees to that. It does nothing
// while the dispatcher still holds slots from a database outage; their runs are on the way.
func (s *Scheduler) catchUpMissed(ctx context.Context, inFlight time.Duration) {
	if s.disp.Held() > 0 {
		return
	}
	started := time.Now()
	until := started.Add(-inFlight)
	if left := s.disp.LeftToCatchupUntil(); inFlight == 0 && !left.Before(until) {
		// A slot left out ahead of its time is this catch-up's too, or the refusals never end:
		// it decides up to just past it (a microsecond: what the database keeps).
		until = left.Add(time.Microsecond)
	}
	rows, err := s.q.JobListOverdue(ctx, sqlcgen.JobListOverdueParams{Before: until, MaxRows: maxOverdue})
	if err != nil {
		s.logger.Warn("List overdue jobs failed", "error", err)
		return
	}
	var runs []due
	var missed sqlcgen.RunInsertMissedParams
	var next sqlcgen.JobSetNextRunsParams
	for _, row := range rows {
		sched, err := schedule.Parse(row.Cron, row.Timezone)
		if err != nil || row.NextRunAt == nil {
			continue
		}
		plan := row.Catchup.Plan(sched, *row.NextRunAt, until, s.catchUp)
		for _, slot := range plan.Run {
			runs = append(runs, due{jobID: row.ID, slot: slot, next: sched.Next(slot), updatedAt: row.UpdatedAt})
		}
		for _, m := range plan.Missed {
			missed.JobIds = append(missed.JobIds, row.ID)
			missed.ScheduledAts = append(missed.ScheduledAts, m.At)
			missed.Reasons = append(missed.Reasons, m.Reason)
		}
		next.Ids, next.NextRunAts = append(next.Ids, row.ID), append(next.NextRunAts, plan.Next)
		next.UpdatedAts = append(next.UpdatedAts, row.UpdatedAt)
		s.logPlan(row, plan)
		s.Metrics.missedSlots(plan.MissedTotal)
	}
	s.disp.dispatchCatchUp(ctx, runs)
	if err := s.storeCatchUp(ctx, missed, next); err != nil {
		s.logger.Warn("Record missed runs failed; the next catch-up tries again", "error", err)
		return
	}
	s.disp.CaughtUp(until)
}

// logPlan says what a catch-up does with one job.
func (s *Scheduler) logPlan(row sqlcgen.JobListOverdueRow, plan schedule.CatchupPlan) {
	if len(plan.Run) > 0 {
		s.logger.Info("Catching up missed runs", "job_id", row.ID, "catchup", row.Catchup, "runs", len(plan.Run),
			"first_scheduled_at", plan.Run[0], "last_scheduled_at", plan.Run[len(plan.Run)-1])
	}
	if len(plan.Missed) > 0 {
		newest := plan.Missed[len(plan.Missed)-1]
		s.logger.Warn("Missed runs recorded", "job_id", row.ID, "catchup", row.Catchup, "missed", plan.MissedTotal,
			"recorded", len(plan.Missed), "newest_scheduled_at", newest.At, "reason", newest.Reason)
	}
}

// storeCatchUp records the missed slots and moves each job's next run on, in batches.
func (s *Scheduler) storeCatchUp(ctx context.Context, missed sqlcgen.RunInsertMissedParams, next sqlcgen.JobSetNextRunsParams) error {
	for i := 0; i < len(missed.JobIds); i += missedBatch {
		j := min(i+missedBatch, len(missed.JobIds))
		if _, err := s.q.RunInsertMissed(ctx, sqlcgen.RunInsertMissedParams{JobIds: missed.JobIds[i:j],
			ScheduledAts: missed.ScheduledAts[i:j], Reasons: missed.Reasons[i:j]}); err != nil {
			return err
		}
	}
	for i := 0; i < len(next.Ids); i += missedBatch {
		j := min(i+missedBatch, len(next.Ids))
		if err := s.q.JobSetNextRuns(ctx, sqlcgen.JobSetNextRunsParams{Ids: next.Ids[i:j],
			NextRunAts: next.NextRunAts[i:j], UpdatedAts: next.UpdatedAts[i:j]}); err != nil {
			return err
		}
	}
	return nil
}
