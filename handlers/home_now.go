package handlers

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/schedule"
)

// The home page's "Running now" and "Next 24 hours" (issue 27).
const (
	// runningShown is how many runs in progress the home page lists; one more is read to know
	// whether there are more.
	runningShown = 20
	// nextWindow is how far ahead the home page looks, nextShown how many slots it lists, and
	// nextCounted where it stops counting the rest ("and 10,000+ more").
	nextWindow  = 24 * time.Hour
	nextShown   = 50
	nextCounted = 10000
	// nextJobs bounds the jobs whose schedules it steps through.
	nextJobs = 2000
)

// runningNow lists the runs in progress, longest running first, and whether there are more; tag,
// if not nil, keeps the runs of jobs with that tag.
func runningNow(ctx context.Context, q *sqlcgen.Queries, now time.Time, tag *string) ([]views.RunningRun, bool, error) {
	rows, err := q.RunListRunning(ctx, sqlcgen.RunListRunningParams{Tag: tag, MaxRows: runningShown + 1})
	if err != nil {
		return nil, false, fmt.Errorf("list running runs: %w", err)
	}
	more := len(rows) > runningShown
	rows = rows[:min(len(rows), runningShown)]
	out := make([]views.RunningRun, 0, len(rows))
	for _, r := range rows {
		run := views.RunningRun{RunID: r.ID, JobID: r.JobID, JobName: r.JobName, Attempt: r.Attempts,
			Started: views.NewMoment(r.StartedAt, now, nil), Trigger: views.NewRunTrigger(r.Trigger, 0)}
		if r.StartedAt != nil {
			run.Elapsed = views.Duration(now.Sub(*r.StartedAt).Truncate(time.Second))
		}
		out = append(out, run)
	}
	return out, more, nil
}

// nextDay is every active job's slots in the next 24 hours, soonest first, as the scheduler will
// follow them (the job's own schedule from package schedule: H tokens, jitter, start and end),
// leaving out paused jobs and slots in a blackout. The first nextShown are listed; the rest are
// counted up to nextCounted. tag, if not nil, keeps the jobs with that tag.
func nextDay(ctx context.Context, q *sqlcgen.Queries, now time.Time, tag *string) (views.NextDay, error) {
	until := now.Add(nextWindow)
	jobs, err := q.JobListDueWithin(ctx, sqlcgen.JobListDueWithinParams{Until: until, Tag: tag, MaxRows: nextJobs})
	if err != nil {
		return views.NextDay{}, fmt.Errorf("list jobs due in 24 hours: %w", err)
	}
	h := make(slotHeap, 0, len(jobs))
	for _, j := range jobs {
		sched, err := store.JobSchedule(j)
		if err != nil {
			continue // the scheduler does not schedule it either
		}
		c := &jobSlots{job: j, sched: sched, blackouts: store.JobBlackouts(j)}
		if c.advance(now, until) {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	var slots []views.NextSlot
	var more int64
	for h.Len() > 0 && more < nextCounted {
		c := h[0]
		if len(slots) < nextShown {
			at := c.next
			slots = append(slots, views.NextSlot{JobID: c.job.ID, JobName: c.job.Name, Words: schedule.Describe(c.job.Cron),
				At: views.NewMoment(&at, now, nil), Local: views.ShortExact(at, zone(c.job.Timezone)), Hour: at.UTC().Truncate(time.Hour)})
		} else {
			more++
		}
		if c.advance(c.next, until) {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return views.NewNextDay(slots, more, h.Len() > 0, now), nil
}

// jobSlots steps through one job's slots for the merge.
type jobSlots struct {
	job       sqlcgen.Job
	sched     cron.Schedule
	blackouts []store.Blackout
	next      time.Time
}

// advance moves to the job's first slot after t that is not in a blackout, and reports whether it
// comes before until.
func (c *jobSlots) advance(t, until time.Time) bool {
	for {
		t = c.sched.Next(t)
		if t.IsZero() || !t.Before(until) {
			return false
		}
		if !inBlackout(c.blackouts, t) {
			c.next = t
			return true
		}
	}
}

// inBlackout reports whether a slot falls in one of a job's blackouts, whose slots are recorded as
// skipped and not run.
func inBlackout(blackouts []store.Blackout, t time.Time) bool {
	for _, b := range blackouts {
		if !t.Before(b.From) && t.Before(b.To) {
			return true
		}
	}
	return false
}

// slotHeap orders the jobs by their next slot, then by id, so that equal slots list in one order.
type slotHeap []*jobSlots

func (h slotHeap) Len() int { return len(h) }
func (h slotHeap) Less(i, j int) bool {
	if !h[i].next.Equal(h[j].next) {
		return h[i].next.Before(h[j].next)
	}
	return h[i].job.ID < h[j].job.ID
}
func (h slotHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)   { *h = append(*h, x.(*jobSlots)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
