package worker

import (
	"context"
	"log/slog"
	"testing"
	"time"

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
// the cron table's firing of that slot: it is handed over at once, not a period later.
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

	workertest.WaitFor(t, 5*time.Second, "the clock within fireAhead of a second", func() bool {
		ns := time.Now().Nanosecond()
		return ns > int(time.Second-fireAhead) && ns < int(time.Second-fireAhead/2)
	})
	imminent := time.Now().Truncate(time.Second).Add(time.Second)
	s.apply(sqlcgen.JobScheduleListRow{ID: 1, Cron: "* * * * * *", Timezone: "UTC", UpdatedAt: time.Now()})
	select {
	case got := <-disp.in:
		if !got.slot.Equal(imminent) {
			t.Fatalf("first slot handed over is %s, want the imminent %s", got.slot, imminent)
		}
		if late := time.Since(imminent); late > 500*time.Millisecond {
			t.Errorf("the imminent slot was handed over %s after it, as if left for the next firing", late)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no slot was handed over")
	}
}
