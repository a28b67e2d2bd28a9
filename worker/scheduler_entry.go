package worker

import (
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/worker/schedule"
)

// fireAhead is how long before its slot a job's entry fires: its run is then stored, published and
// claimed by the due second, and its consumer starts it on the second (Runner.waitForSlot), never
// before. Without it, a run would start only once the pipeline's own delay had passed after its second.
const fireAhead = 50 * time.Millisecond

// entry is one job in the cron table.
type entry struct {
	jobID     int64
	cronID    cron.EntryID
	updatedAt time.Time
	sched     cron.Schedule
	s         *Scheduler

	mu   sync.Mutex
	next time.Time
}

// Run is called by robfig/cron when the entry is due, fireAhead before its slot. The slot is the
// schedule's time, not the time of the call. If the process stalled past several slots, each is
// handed over, up to schedule.MaxCatchupRuns: those are late, not missed.
func (e *entry) Run() {
	now := time.Now().Add(fireAhead)
	e.mu.Lock()
	var slots []time.Time
	for n := e.next; !n.IsZero() && !n.After(now); n = e.sched.Next(n) {
		slots = append(slots, n)
		e.next = e.sched.Next(n)
	}
	e.mu.Unlock()
	if len(slots) > schedule.MaxCatchupRuns {
		e.s.logger.Warn("Scheduler stalled past many slots; running the latest", "job_id", e.jobID,
			"slots", len(slots), "running", schedule.MaxCatchupRuns)
		slots = slots[len(slots)-schedule.MaxCatchupRuns:]
	}
	for _, slot := range slots {
		e.s.disp.Due(e.s.ctx, e.jobID, e.updatedAt, slot, e.sched.Next(slot))
	}
}

// aheadSchedule fires a schedule's slots fireAhead early.
type aheadSchedule struct{ cron.Schedule }

func (a aheadSchedule) Next(t time.Time) time.Time {
	n := a.Schedule.Next(t.Add(fireAhead))
	if n.IsZero() {
		return n
	}
	return n.Add(-fireAhead)
}
