package worker

// The catch-up handshake between the Scheduler and the Dispatcher, told whole. The database keeps,
// for each job, next_run_at: its first slot that has no run yet. Every slot before it has its run
// or its missed run, and a catch-up decides about every slot from it up to a moment until.
//
//  1. As usual the scheduler's timetable hands each due slot to the Dispatcher (Dispatcher.Due), which inserts
//     its run and notes the job's next_run_at (dispatcher_notes.go). The (job, slot) key on runs
//     lets a slot that both paths reach have one run only.
//  2. A catch-up (catchUpMissed) lists the jobs whose next_run_at is overdue, applies each job's
//     policy (schedule.Catchup.Plan) to its slots up to until, hands the slots to run to the
//     Dispatcher (dispatchCatchUp), records the others as missed runs with their reason, and moves
//     next_run_at on (storeCatchUp). The Scheduler starts one when it starts (until = now) and
//     after every minute's resync (until = 5 s ago: the slots of the last seconds are still on
//     their way).
//  3. While the database is out of reach the Dispatcher holds the slots it cannot store
//     (dispatcher_backlog.go) and stores them, oldest first, once it is back. Meanwhile a catch-up
//     does nothing (Held > 0): next_run_at is behind, but those slots' runs are on their way.
//  4. A slot the backlog cannot hold (it is full) is refused, and so is every later slot of its
//     job (backlog.filter), so that the job's next_run_at stays at its first slot not stored. Every
//     heldCheckEvery the Scheduler also hands the Dispatcher the catch-up window (HandOver): a job
//     with a slot held for longer than the window is taken out of the backlog and refused too, since
//     an outage that long is for its policy to decide.
//  5. Once nothing is held and some jobs are refused (NeedsCatchup), the Scheduler starts a
//     catch-up. Slots fire ahead of their time, so a refused slot may lie ahead of now: the
//     catch-up reaches just past the latest one (LeftToCatchupUntil). Its runs are stored even for
//     refused jobs, and when it has recorded the rest it tells the Dispatcher (CaughtUp): the
//     refusals end, unless a slot was refused after until, and then they wait for the next one.
//  6. When leadership ends, the held slots are dropped (Dispatcher.Run): their jobs' next_run_at
//     did not move, so the next leader's first catch-up finds them.

import (
	"context"
	"slices"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// heldCheckEvery is how often the scheduler looks (checkHeld) whether the dispatcher has stored
// the slots it held through a database outage, and left jobs for a catch-up.
const heldCheckEvery = time.Second

// maxOverdue bounds the jobs one catch-up looks at; the rest wait for the next, a minute later.
const maxOverdue = 10000

// missedBatch is how many missed slots, or next-run updates, go into one statement.
const missedBatch = 1000

// checkHeld is the Scheduler's side of the handshake while the Dispatcher holds slots (steps 4
// and 5): it hands over the jobs held past the catch-up window, and catches up once the Dispatcher
// needs it.
func (s *Scheduler) checkHeld(ctx context.Context) {
	s.disp.HandOver(time.Now().Add(-s.catchUp))
	if s.disp.NeedsCatchup() {
		s.catchUpMissed(ctx, 0)
	}
}

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
		sched, err := jobSchedule(row.ID, row.Cron, row.Timezone, row.JitterMs, row.StartAt, row.EndAt)
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

// The Dispatcher's side of the handshake.

// Held counts the due slots held for the database, for /readyz and /metrics.
func (d *Dispatcher) Held() int { return d.held.size() }

// NeedsCatchup reports whether every held slot is stored but some jobs were left to a catch-up
// (the backlog was full, or the outage outlasted the catch-up window).
func (d *Dispatcher) NeedsCatchup() bool { return d.held.size() == 0 && d.held.needsCatchup() }

// CaughtUp tells the dispatcher that a catch-up has decided about the slots up to until, so that
// the jobs left to it are dispatched as usual again, unless a slot of theirs came later.
func (d *Dispatcher) CaughtUp(until time.Time) { d.held.caughtUp(until) }

// LeftToCatchupUntil is, while jobs are left to a catch-up, the latest of the slots left out and
// the moments they were, else the zero time. The scheduler fires ahead, so it may be a moment
// ahead of now; a catch-up that is to end the refusals must decide about the slots up to it.
func (d *Dispatcher) LeftToCatchupUntil() time.Time { return d.held.refusedThrough() }

// HandOver leaves to the catch-up every job that has a slot held since before cutoff: an outage
// that outlasted the catch-up window is the job's policy to decide.
func (d *Dispatcher) HandOver(cutoff time.Time) {
	if n := d.held.refuseOlder(cutoff); n > 0 {
		d.logger.Warn("Held due slots older than the catch-up window are left to the catch-up", "slots", n)
	}
}

// dispatchCatchUp stores and publishes the runs a catch-up decided on, now and in their order
// (oldest first), including those of jobs that were left to it.
func (d *Dispatcher) dispatchCatchUp(ctx context.Context, slots []due) {
	for i := 0; i < len(slots); i += dispatchBatch {
		d.storeOrHold(ctx, slots[i:min(i+dispatchBatch, len(slots))])
	}
}

// The backlog's refusals: what it keeps to tell the catch-up.

// filter returns the slots of batch whose job is not refused, and the number left out.
func (b *backlog) filter(batch []due) ([]due, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.refused) == 0 {
		return batch, 0
	}
	kept := batch[:0:0]
	for _, d := range batch {
		if !b.refused[d.jobID] {
			kept = append(kept, d)
			continue
		}
		// Left out is refused too: the catch-up must reach past this slot before the refusals end.
		b.noteRefused(d.slot)
	}
	return kept, len(batch) - len(kept)
}

// noteRefused moves refusedAt on past a slot refused or left out now.
func (b *backlog) noteRefused(slot time.Time) {
	for _, t := range []time.Time{time.Now(), slot} {
		if t.After(b.refusedAt) {
			b.refusedAt = t
		}
	}
}

// refuseOlder hands to the catch-up every job that has a kept slot older than cutoff, with all of
// its kept slots: an outage that outlasted the catch-up window is the catch-up's to decide. It
// returns the number of slots taken out.
func (b *backlog) refuseOlder(cutoff time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := map[int64]bool{}
	for _, d := range b.slots {
		if d.slot.Before(cutoff) {
			old[d.jobID] = true
		}
	}
	if len(old) == 0 {
		return 0
	}
	n := len(b.slots)
	b.slots = slices.DeleteFunc(b.slots, func(d due) bool {
		if old[d.jobID] {
			delete(b.keys, slotKey{d.jobID, d.slot})
			return true
		}
		return false
	})
	for id := range old {
		b.refused[id] = true
	}
	b.refusedAt = time.Now()
	return n - len(b.slots)
}

// needsCatchup reports whether jobs were refused, which only a catch-up puts right.
func (b *backlog) needsCatchup() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.refused) > 0
}

// refusedThrough is refusedAt while jobs are refused, else the zero time.
func (b *backlog) refusedThrough() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.refused) == 0 {
		return time.Time{}
	}
	return b.refusedAt
}

// caughtUp takes back the refusals after a catch-up that decided about the slots up to until, with
// nothing kept, so that the jobs' next slots are stored as usual again. A slot refused or left out
// after until lies beyond what the catch-up looked at: then the refusals stay for the next one.
func (b *backlog) caughtUp(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.slots) == 0 && b.refusedAt.Before(until) {
		clear(b.refused)
	}
}
