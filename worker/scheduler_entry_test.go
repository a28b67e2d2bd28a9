package worker

import (
	"container/heap"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/workertest"
)

// The scheduler fires fireAhead before each slot, so that the run is ready on the second: it must
// still start on the second, never before it.
func TestRunsPreparedAheadStartOnTheirSecondNotBefore(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
	h.startScheduler(0)

	var done []sqlcgen.Run
	workertest.WaitFor(t, 15*time.Second, "four completed runs", func() bool {
		done = done[:0]
		for _, r := range h.runsOf(job.ID) {
			if r.Status == "completed" {
				done = append(done, r)
			}
		}
		return len(done) >= 4
	})
	for _, r := range done {
		hits := tg.hitsFor(idempotencyKey(job.ID, r.ID))
		if len(hits) != 1 {
			t.Fatalf("run %d: the target got %d requests, want 1", r.ID, len(hits))
		}
		if hits[0].Before(r.ScheduledAt) {
			t.Errorf("run %d of slot %s reached the target %s before its slot", r.ID,
				r.ScheduledAt.Format(time.TimeOnly), r.ScheduledAt.Sub(hits[0]))
		}
		if r.StartedAt == nil || r.StartedAt.Before(r.ScheduledAt) {
			t.Errorf("run %d of slot %s started at %v, before its slot", r.ID, r.ScheduledAt, r.StartedAt)
		}
	}
}

// A job whose first slot is closer than fireAhead when the scheduler takes it on is too late for
// the timetable's firing of that slot: it is handed over at once, not a period later.
func TestAJobTakenOnJustBeforeItsSlotRunsThatSlot(t *testing.T) {
	t.Parallel()
	disp := NewDispatcher(nil, nil, slog.New(slog.DiscardHandler))
	started := &startedSignal{ch: make(chan struct{})}
	s := NewScheduler(dbtest.NewPool(t), disp, 0, slog.New(started))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })
	// Once started, with no jobs and no changes, the scheduler's own goroutine leaves the table alone.
	select {
	case <-started.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not start")
	}

	// The job is taken on within fireAhead of a second. Under load the test may be held up past
	// that second between looking at the clock and taking the job on; then it tries again.
	var imminent time.Time
	var id int64
	for id = 1; ; id++ {
		waitJustBeforeASecond(t)
		imminent = time.Now().Truncate(time.Second).Add(time.Second)
		s.apply(sqlcgen.JobScheduleListRow{ID: id, Cron: "* * * * * *", Timezone: "UTC", UpdatedAt: time.Now()})
		if time.Now().Before(imminent) {
			break
		}
		s.remove(id)
		if id == 5 {
			t.Fatal("the test was held up past the second five times")
		}
	}
	deadline := time.After(3 * time.Second)
	for {
		select {
		case got := <-disp.in:
			if got.jobID != id {
				continue // an earlier try's
			}
			if !got.slot.Equal(imminent) {
				t.Fatalf("first slot handed over is %s, want the imminent %s", got.slot, imminent)
			}
			if late := time.Since(imminent); late > 500*time.Millisecond {
				t.Errorf("the imminent slot was handed over %s after it, as if left for the next firing", late)
			}
			return
		case <-deadline:
			t.Fatal("no slot was handed over")
		}
	}
}

// A job taken on while the timetable is not firing yet (as when the jobs are loaded) whose slot
// is closer than fireAhead when the firing starts is handed over at once, not a period later.
func TestASlotJustAfterTheTableStartsRunsAtOnce(t *testing.T) {
	t.Parallel()
	for try := 1; ; try++ {
		disp := NewDispatcher(nil, nil, slog.New(slog.DiscardHandler))
		s := NewScheduler(nil, disp, 0, workertest.Logger(t))
		ctx, cancel := context.WithCancel(context.Background())
		s.reset(ctx)
		// Taken on with the timetable not firing, as when the jobs are loaded: nothing fires yet.
		waitJustBeforeASecond(t)
		imminent := time.Now().Truncate(time.Second).Add(time.Second)
		s.apply(sqlcgen.JobScheduleListRow{ID: 1, Cron: "* * * * * *", Timezone: "UTC", UpdatedAt: time.Now()})
		firing := s.startFiring(ctx)
		held := !time.Now().Before(imminent)
		var first due
		var handedAt time.Time
		if !held {
			select {
			case first = <-disp.in:
				handedAt = time.Now()
			case <-time.After(3 * time.Second):
				t.Fatal("no slot was handed over")
			}
		}
		cancel()
		<-firing
		if held {
			// Held up past the second between looking at the clock and starting: try again.
			if try == 5 {
				t.Fatal("the test was held up past the second five times")
			}
			continue
		}
		if !first.slot.Equal(imminent) {
			t.Fatalf("first slot handed over is %s, want the imminent %s", first.slot, imminent)
		}
		if late := handedAt.Sub(imminent); late > 500*time.Millisecond {
			t.Errorf("the imminent slot was handed over %s after it, as if left for the next firing", late)
		}
		return
	}
}

// waitJustBeforeASecond waits until the clock is within fireAhead of a whole second, in the first
// half of that span, so that a test can act before the second comes.
func waitJustBeforeASecond(t *testing.T) {
	t.Helper()
	workertest.WaitFor(t, 5*time.Second, "the clock within fireAhead of a second", func() bool {
		ns := time.Now().Nanosecond()
		return ns > int(time.Second-fireAhead) && ns < int(time.Second-fireAhead/2)
	})
}

// A slot that thousands of jobs share is handed over earlier than fireAhead, in proportion to how
// many share it and never more than maxFireAhead before it, so that their runs are stored,
// published and claimed by their second; a slot of a few jobs keeps fireAhead. Only the jobs of
// the earliest slot count, and a later slot is not handed over with it.
func TestACrowdedSlotIsHandedOverEarlier(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		jobs int
		lead time.Duration
	}{{1, fireAhead}, {leadFreeRuns, fireAhead}, {5000, 500 * time.Millisecond}, {50000, maxFireAhead}} {
		s := &Scheduler{logger: slog.New(slog.DiscardHandler)}
		for i := range c.jobs {
			heap.Push(&s.table, &entry{jobID: int64(i + 1), sched: cron.Every(time.Hour), next: t0})
		}
		heap.Push(&s.table, &entry{jobID: int64(c.jobs + 1), sched: cron.Every(time.Hour), next: t0.Add(10 * time.Second)})
		if slots, sleep := s.takeDue(t0.Add(-c.lead - time.Millisecond)); len(slots) != 0 || sleep != time.Millisecond {
			t.Errorf("%d jobs: %s before the slot, %d slots were handed over and the loop sleeps %s; want none, and 1ms",
				c.jobs, c.lead+time.Millisecond, len(slots), sleep)
		}
		slots, _ := s.takeDue(t0.Add(-c.lead))
		if len(slots) != c.jobs {
			t.Errorf("%d jobs: %s before the slot, %d slots were handed over, want all %d", c.jobs, c.lead, len(slots), c.jobs)
		}
		for _, d := range slots {
			if !d.slot.Equal(t0) {
				t.Fatalf("%d jobs: the later slot %s was handed over with the crowded one", c.jobs, d.slot)
			}
		}
	}
}
