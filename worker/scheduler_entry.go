package worker

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/worker/schedule"
)

// fireAhead is how long before its slot a job's entry fires: its run is then stored, published and
// claimed by the due second, and its consumer starts it on the second (waitForSlot, runner.go),
// never before. Without it, a run would start only once the pipeline's own delay had passed after
// its second.
const fireAhead = 100 * time.Millisecond

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
	for !e.next.IsZero() && !e.next.After(now) {
		slots = append(slots, e.step())
	}
	next := e.next
	e.mu.Unlock()
	if len(slots) > schedule.MaxCatchupRuns {
		e.s.logger.Warn("Scheduler stalled past many slots; running the latest", "job_id", e.jobID,
			"slots", len(slots), "running", schedule.MaxCatchupRuns)
		slots = slots[len(slots)-schedule.MaxCatchupRuns:]
	}
	// Each slot's next is the slot after it, the last one's where the entry stands now.
	for i, slot := range slots {
		after := next
		if i+1 < len(slots) {
			after = slots[i+1]
		}
		e.s.disp.Due(e.s.ctx, e.jobID, e.updatedAt, slot, after)
	}
}

// step answers the entry's next slot and moves it on to the one after; e.mu is held, or the entry
// is not shared.
func (e *entry) step() time.Time {
	slot := e.next
	e.next = e.sched.Next(slot)
	return slot
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

// startTable starts the cron table and hands over the slots it starts too late for (fireSoon).
func (s *Scheduler) startTable() {
	s.cron.Start()
	s.mu.Lock()
	entries := slices.Collect(maps.Values(s.entries))
	s.mu.Unlock()
	s.fireSoon(entries...)
}

// fireSoon hands over at once the slots of these entries that are closer than fireAhead. The cron
// table fires an entry fireAhead before its slot, reckoned from when it starts or takes the entry
// on; a slot closer than that would wait a whole period.
func (s *Scheduler) fireSoon(entries ...*entry) {
	limit := time.Now().Add(fireAhead)
	for _, e := range entries {
		e.mu.Lock()
		soon := !e.next.IsZero() && e.next.Before(limit)
		e.mu.Unlock()
		if soon {
			s.firing.Go(cron.Recover(cronLogger{s.logger})(e).Run)
		}
	}
}
