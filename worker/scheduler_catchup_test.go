package worker

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestSlotsTheLeaderCannotHoldAreLeftToTheCatchupAndRecorded(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *", catchup: schedule.CatchupNone})

	// The scheduler and its dispatcher reach the database through a proxy the test cuts, and the
	// dispatcher can hold two slots only.
	proxied, proxy := dbtest.ThroughProxy(t, h.pool.Config().ConnString())
	pool, err := pgxpool.New(context.Background(), proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	out := NewOutbox(sqlcgen.New(pool), h.pub, h.logger)
	disp := NewDispatcher(sqlcgen.New(pool), out, h.logger)
	disp.held = newBacklog(2)
	// The leader's services: the reaper publishes a run whose insert was cut off after it committed.
	services := NewMaintainer(disp, NewReaper(sqlcgen.New(pool), out, h.logger), NewScheduler(pool, disp, time.Hour, h.logger))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = services.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	workertest.WaitFor(t, 10*time.Second, "the job runs", func() bool { return len(h.runsOf(job.ID)) >= 2 })
	from := time.Now().Truncate(time.Second).Add(time.Second)
	workertest.WaitFor(t, 5*time.Second, "a slot after the steady start", func() bool { return time.Now().After(from.Add(time.Second)) })

	proxy.Stop()
	cut := time.Now()
	workertest.WaitFor(t, 10*time.Second, "two slots held and more refused", func() bool {
		return disp.Held() == 2 && time.Since(cut) > 6*time.Second
	})
	proxy.Start()
	workertest.WaitFor(t, 20*time.Second, "the held slots stored and the rest caught up", func() bool {
		return disp.Held() == 0 && !disp.NeedsCatchup()
	})
	until := time.Now().Add(2 * time.Second).Truncate(time.Second)
	workertest.WaitFor(t, 20*time.Second, "every slot until "+until.Format(time.TimeOnly)+" settled", func() bool {
		for _, r := range h.runsOf(job.ID) {
			if !r.ScheduledAt.After(until) && !r.Status.Settled() {
				return false
			}
		}
		// The slot at until is stored a moment after it comes.
		return time.Now().After(until.Add(time.Second))
	})

	bySlot := map[time.Time]sqlcgen.Run{}
	for _, r := range h.runsOf(job.ID) {
		if _, twice := bySlot[r.ScheduledAt]; twice {
			t.Fatalf("slot %s has two rows", r.ScheduledAt)
		}
		bySlot[r.ScheduledAt] = r
	}
	completed, missed := 0, 0
	for s := from; !s.After(until); s = s.Add(time.Second) {
		r, ok := bySlot[s]
		switch {
		case !ok:
			t.Errorf("slot %s has no row: it was lost in silence", s.Format(time.TimeOnly))
		case r.Status == "completed":
			completed++
		case r.Status == "missed" && strings.Contains(r.Error, "catchup none"):
			missed++
		default:
			t.Errorf("slot %s: %s %q", s.Format(time.TimeOnly), r.Status, r.Error)
		}
	}
	// Held slots ran; the job's slots refused after them were its policy's to decide (none runs).
	if missed < 3 || completed < 2 {
		t.Errorf("%d slots completed and %d missed, want the held ones completed and at least three refused ones missed", completed, missed)
	}
}

// A slot left out ahead of its time (the scheduler fires ahead) is decided by the next catch-up,
// which then ends the refusals. Were it left to a later one, an every-second job would have its next
// slot left out ahead of that one too, and the refusals would never end.
func TestACatchupDecidesASlotLeftOutAheadAndEndsTheRefusals(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	q := sqlcgen.New(pool)
	disp := NewDispatcher(q, nil, workertest.Logger(t))
	disp.held = newBacklog(0) // full: every slot is refused, and none is published
	s := NewScheduler(pool, disp, time.Hour, workertest.Logger(t))

	waitJustBeforeASecond(t)
	slot := time.Now().Truncate(time.Second).Add(time.Second)
	job, err := q.JobInsert(context.Background(), sqlcgen.JobInsertParams{Name: "every second", Type: "ping",
		Payload: []byte(`{"url": "http://127.0.0.1:9/"}`), Cron: "* * * * * *", Timezone: "UTC", TimeoutMs: 5000, RetryDelayMs: 2000,
		Catchup: schedule.CatchupNone, NextRunAt: &slot, RetryOn: "transient", RetryBackoff: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	// Refused as it comes, a moment before its time.
	disp.held.add([]due{{jobID: job.ID, slot: slot, next: slot.Add(time.Second), updatedAt: job.UpdatedAt}})
	if !disp.NeedsCatchup() {
		t.Fatal("the slot was not refused")
	}
	s.catchUpMissed(context.Background(), 0)
	if disp.NeedsCatchup() {
		t.Error("the refusals stayed after a catch-up, though it could decide about the slot left out")
	}
	runs, err := q.RunListByJob(context.Background(), sqlcgen.RunListByJobParams{JobID: job.ID, BeforeID: math.MaxInt64, MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || !runs[0].ScheduledAt.Equal(slot) || runs[0].Status != "missed" {
		t.Errorf("runs %v, want the slot %s recorded as missed (catchup none)", runs, slot.Format(time.TimeOnly))
	}
}
