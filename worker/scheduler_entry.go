package worker

import (
	"container/heap"
	"context"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/worker/schedule"
)

// The Scheduler's timetable: every scheduled job's next slot in a heap, earliest first, and one
// goroutine (fire) that sleeps until the earliest comes within its lead and hands the slots due
// to the dispatcher. Each job's slots come from its robfig/cron schedule (schedule.Job); unlike
// robfig/cron's own table, which sorts every entry each time it wakes and each time one is added,
// adding, changing or firing a job costs a step of the heap, so that a million jobs load in
// seconds and cost nothing while none is due.

// fireAhead is how long before its slot a job's slot is handed over: its run is then stored,
// published and claimed by the due second, and its consumer starts it on the second (waitForSlot,
// runner.go), never before. Without it, a run would start only once the pipeline's own delay had
// passed after its second.
//
// A slot that many jobs share is handed over earlier, by leadPerRun for each job past the first
// leadFreeRuns, up to maxFireAhead: storing, publishing and claiming 10,000 runs takes most of a
// second on a small machine, and what is done before the second is not done after it. A smaller
// slot keeps fireAhead, so that a pause or an edit made just before it still counts.
const (
	fireAhead    = 100 * time.Millisecond
	maxFireAhead = time.Second
	leadFreeRuns = 1000
	leadPerRun   = 100 * time.Microsecond
)

// maxSleep bounds how long the firing loop sleeps, so that a step of the wall clock (or a
// suspended machine) delays a slot by a minute at most: its timer counts elapsed time.
const maxSleep = time.Minute

// entry is one job in the timetable.
type entry struct {
	jobID     int64
	updatedAt time.Time
	sched     cron.Schedule
	next      time.Time // the job's next slot; zero once it has none
	index     int       // its place in the timetable, -1 while it is not there (no next slot)
	pass      uint32    // the last full read that saw the job (resync)
}

// step answers the entry's next slot and moves it on to the one after.
func (e *entry) step() time.Time {
	slot := e.next
	e.next = e.sched.Next(slot)
	return slot
}

// timetable is a heap of entries by next slot (container/heap); s.mu guards it.
type timetable []*entry

func (t timetable) Len() int           { return len(t) }
func (t timetable) Less(i, j int) bool { return t[i].next.Before(t[j].next) }
func (t timetable) Swap(i, j int) {
	t[i], t[j] = t[j], t[i]
	t[i].index, t[j].index = i, j
}
func (t *timetable) Push(x any) {
	e := x.(*entry)
	e.index = len(*t)
	*t = append(*t, e)
}
func (t *timetable) Pop() any {
	old := *t
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*t = old[:len(old)-1]
	e.index = -1
	return e
}

// put schedules an entry in place of the job's entry, if it had one; s.mu is held.
func (s *Scheduler) put(e *entry) {
	s.unput(e.jobID)
	s.entries[e.jobID] = e
	s.known.in(e.jobID, e.updatedAt)
	e.index = -1
	if !e.next.IsZero() {
		heap.Push(&s.table, e)
	}
}

// unput takes a job's entry out, if it has one; s.mu is held.
func (s *Scheduler) unput(id int64) {
	e := s.entries[id]
	if e == nil {
		return
	}
	delete(s.entries, id)
	s.known.out(id, e.updatedAt)
	if e.index >= 0 {
		heap.Remove(&s.table, e.index)
	}
}

// nudge wakes the firing loop to look at the timetable again.
func (s *Scheduler) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// fire hands over the slots as they come due, until ctx is done.
func (s *Scheduler) fire(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		slots, sleep := s.takeDue(time.Now())
		for _, d := range slots {
			s.disp.Due(ctx, d.jobID, d.updatedAt, d.slot, d.next)
		}
		timer.Reset(sleep)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
	}
}

// takeDue moves every entry whose slot is within the lead (fireAhead, more for a slot many jobs
// share) of now on past it, and answers those slots, with how long to sleep until the next one is.
// The slot is the schedule's time, not the time of the call; a slot closer than its lead when its
// job is taken on is handed over at once. If the process stalled past several slots of a job, each
// is handed over, up to schedule.MaxCatchupRuns: those are late, not missed.
func (s *Scheduler) takeDue(now time.Time) ([]due, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lead := s.table.lead()
	limit := now.Add(lead)
	var out []due
	for len(s.table) > 0 && !s.table[0].next.After(limit) {
		e := s.table[0]
		first := len(out)
		for !e.next.IsZero() && !e.next.After(limit) {
			out = append(out, due{jobID: e.jobID, updatedAt: e.updatedAt, slot: e.step()})
		}
		if n := len(out) - first; n > schedule.MaxCatchupRuns {
			s.logger.Warn("Scheduler stalled past many slots; running the latest", "job_id", e.jobID,
				"slots", n, "running", schedule.MaxCatchupRuns)
			out = append(out[:first], out[len(out)-schedule.MaxCatchupRuns:]...)
		}
		// Each slot's next is the slot after it, the last one's where the entry stands now.
		for i := first; i < len(out); i++ {
			out[i].next = e.next
			if i+1 < len(out) {
				out[i].next = out[i+1].slot
			}
		}
		if e.next.IsZero() {
			heap.Pop(&s.table)
		} else {
			heap.Fix(&s.table, 0)
		}
	}
	sleep := maxSleep
	if len(s.table) > 0 {
		sleep = min(sleep, s.table[0].next.Sub(now.Add(s.table.lead())))
	}
	return out, sleep
}

// lead is how long before the earliest slot it is handed over: fireAhead, and leadPerRun more for
// each job past leadFreeRuns whose next slot it also is, up to maxFireAhead.
func (t timetable) lead() time.Duration {
	const most = leadFreeRuns + int((maxFireAhead-fireAhead)/leadPerRun)
	n := t.countEarliest(most)
	return min(fireAhead+time.Duration(max(n-leadFreeRuns, 0))*leadPerRun, maxFireAhead)
}

// countEarliest counts the entries whose next slot is the earliest, up to most. In a heap no entry
// is earlier than its parent, so they are the root and its descendants through entries of that
// same slot: the walk visits those and their children only.
func (t timetable) countEarliest(most int) int {
	if len(t) == 0 {
		return 0
	}
	first := t[0].next
	n, stack := 0, []int{0}
	for len(stack) > 0 && n < most {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(t) || !t[i].next.Equal(first) {
			continue
		}
		n++
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return n
}

// digest sums up a set of jobs as JobScheduleDigest does: how many, and the exclusive or of their
// ids and of their versions (updated_at in microseconds).
type digest struct{ jobs, ids, versions int64 }

// in puts a job into the sum.
func (d *digest) in(id int64, updatedAt time.Time) {
	d.jobs++
	d.ids ^= id
	d.versions ^= updatedAt.UnixMicro()
}

// out takes a job that is in the sum with that version out of it.
func (d *digest) out(id int64, updatedAt time.Time) {
	d.jobs--
	d.ids ^= id
	d.versions ^= updatedAt.UnixMicro()
}
