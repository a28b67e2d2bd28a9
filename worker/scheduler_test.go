package worker

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// startScheduler runs a scheduler with its own dispatcher until the test ends, as a leader would.
func (h *harness) startScheduler(catchUp time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	disp := NewDispatcher(h.q, h.out, h.logger)
	s := NewScheduler(h.pool, disp, catchUp, h.logger)
	done := make(chan struct{}, 2)
	go func() { disp.Run(ctx); done <- struct{}{} }()
	go func() { _ = s.Run(ctx); done <- struct{}{} }()
	h.t.Cleanup(func() { cancel(); <-done; <-done })
}

// runsOf lists a job's runs, newest first.
func (h *harness) runsOf(jobID int64) []sqlcgen.Run {
	h.t.Helper()
	runs, err := h.q.RunListByJob(context.Background(), sqlcgen.RunListByJobParams{JobID: jobID, BeforeID: math.MaxInt64, MaxRows: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return runs
}

func TestTwoSchedulersMakeOneRunPerSlot(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
	h.startScheduler(0)
	h.startScheduler(0)

	workertest.WaitFor(t, 15*time.Second, "five completed runs", func() bool {
		n := 0
		for _, r := range h.runsOf(job.ID) {
			if r.Status == "completed" {
				n++
			}
		}
		return n >= 5
	})
	runs := h.runsOf(job.ID)
	seen := map[time.Time]bool{}
	for i, r := range runs {
		if seen[r.ScheduledAt] {
			t.Fatalf("slot %s has two runs", r.ScheduledAt)
		}
		seen[r.ScheduledAt] = true
		if i > 0 && runs[i-1].ScheduledAt.Sub(r.ScheduledAt) != time.Second {
			t.Errorf("slots %s and %s are not consecutive: a slot was lost", r.ScheduledAt, runs[i-1].ScheduledAt)
		}
		if r.ScheduledAt.Nanosecond() != 0 {
			t.Errorf("scheduled_at %s is not the schedule's slot", r.ScheduledAt)
		}
	}
	if requests, keys := tg.total(); requests != keys {
		t.Errorf("target got %d requests for %d runs", requests, keys)
	}
}

func TestTheSchedulerFollowsJobChanges(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *", paused: true})
	h.startScheduler(0)
	ctx := context.Background()

	t.Run("APausedJobDoesNotRun", func(t *testing.T) {
		// Give the scheduler a run of its own to prove it is working, then check the paused one.
		other := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
		workertest.WaitFor(t, 10*time.Second, "the active job runs", func() bool { return len(h.runsOf(other.ID)) >= 2 })
		if runs := h.runsOf(job.ID); len(runs) != 0 {
			t.Fatalf("the paused job got %d runs", len(runs))
		}
		if _, err := h.q.JobDelete(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ResumingStartsIt", func(t *testing.T) {
		if _, err := h.q.JobSetPaused(ctx, sqlcgen.JobSetPausedParams{ID: job.ID, Paused: false}); err != nil {
			t.Fatal(err)
		}
		workertest.WaitFor(t, 10*time.Second, "runs after resume", func() bool { return len(h.runsOf(job.ID)) >= 2 })
	})
	t.Run("EditingTheScheduleTakesEffect", func(t *testing.T) {
		_, err := h.q.JobUpdate(ctx, sqlcgen.JobUpdateParams{
			ID: job.ID, Name: job.Name, Type: job.Type, Payload: job.Payload, Cron: "*/2 * * * * *",
			Timezone: "UTC", MaxRetries: 0, RetryDelayMs: 1000, TimeoutMs: 5000, Catchup: schedule.CatchupLatest,
		})
		if err != nil {
			t.Fatal(err)
		}
		edited := time.Now().Add(time.Second)
		workertest.WaitFor(t, 10*time.Second, "three runs on the new schedule", func() bool {
			n := 0
			for _, r := range h.runsOf(job.ID) {
				if r.ScheduledAt.After(edited) {
					if r.ScheduledAt.Second()%2 != 0 {
						t.Fatalf("run at %s does not fit */2", r.ScheduledAt)
					}
					n++
				}
			}
			return n >= 3
		})
	})
	t.Run("DeletingStopsIt", func(t *testing.T) {
		if _, err := h.q.JobDelete(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		// A fresh job proves the scheduler goes on; the deleted one must not come back.
		probe := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
		workertest.WaitFor(t, 10*time.Second, "the probe job runs twice", func() bool { return len(h.runsOf(probe.ID)) >= 2 })
		if runs := h.runsOf(job.ID); len(runs) != 0 {
			t.Fatalf("the deleted job still has %d runs", len(runs))
		}
	})
}

func TestMissedSlotsAreCaughtUpOnce(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	ctx := context.Background()
	recent := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "*/10 * * * *"})
	old := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "0 0 1 1 *"})
	// As if the scheduler had been down: recent's next slot passed 25 minutes ago, old's a year ago.
	missed := time.Now().Add(-25 * time.Minute).Truncate(10 * time.Minute)
	longAgo := time.Now().AddDate(-1, 0, 0)
	h.setNextRun(recent, missed)
	h.setNextRun(old, longAgo)
	h.startScheduler(time.Hour)
	h.startScheduler(time.Hour) // a second scheduler must not double the catch-up

	latest := missed
	for n := latest.Add(10 * time.Minute); !n.After(time.Now()); n = n.Add(10 * time.Minute) {
		latest = n
	}
	workertest.WaitFor(t, 10*time.Second, "the catch-up run completes", func() bool {
		for _, r := range h.runsOf(recent.ID) {
			if r.ScheduledAt.Equal(latest) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	// The catch-up is recorded: the skipped job's next run moves on to the future.
	workertest.WaitFor(t, 10*time.Second, "the skipped job's next run in the future", func() bool {
		job, err := h.q.JobGet(ctx, old.ID)
		return err == nil && job.NextRunAt != nil && job.NextRunAt.After(time.Now())
	})
	// Every slot that passed is a row: the latest ran, the others are recorded as missed, once.
	runs := h.runsOf(recent.ID)
	if want := int(latest.Sub(missed)/(10*time.Minute)) + 1; len(runs) != want {
		t.Fatalf("%d rows for the recent job, want one per slot that passed, %d", len(runs), want)
	}
	for _, r := range runs {
		if !r.ScheduledAt.Equal(latest) && (r.Status != "missed" || !strings.Contains(r.Error, "catchup latest")) {
			t.Errorf("slot %s: %s %q, want missed because a later slot ran", r.ScheduledAt, r.Status, r.Error)
		}
	}
	if runs := h.runsOf(old.ID); len(runs) != 1 || runs[0].Status != "missed" || !strings.Contains(runs[0].Error, "CATCHUP_WINDOW") {
		t.Errorf("the slot older than the catch-up window: %+v, want one missed run saying why", runs)
	}
}

func TestOneLeaderAtATimeAndATakeover(t *testing.T) {
	t.Parallel()
	h := setup(t, 1)
	leading := make(chan int, 10)
	start := func(id int) (*Leader, context.CancelFunc, chan struct{}) {
		ctx, cancel := context.WithCancel(context.Background())
		l := NewLeader(h.pool, 100*time.Millisecond, h.logger)
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.Run(ctx, func(ctx context.Context) error { leading <- id; <-ctx.Done(); return nil })
		}()
		return l, cancel, done
	}
	a, stopA, doneA := start(1)
	b, stopB, doneB := start(2)
	defer func() { stopB(); <-doneB }()

	first := <-leading
	workertest.WaitFor(t, 2*time.Second, "a leader", func() bool { return a.Leading() || b.Leading() })
	if a.Leading() && b.Leading() {
		t.Fatal("both replicas lead")
	}
	if first != 1 {
		a, b = b, a
		stopA, stopB = stopB, stopA
		doneA, doneB = doneB, doneA
	}
	stopA()
	<-doneA
	if second := <-leading; second == first {
		t.Fatalf("replica %d led again after it stopped", second)
	}
	workertest.WaitFor(t, 2*time.Second, "the other replica leads", b.Leading)
}

func TestANewLeaderRunsASlotMissedSecondsAgo(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "@every 3s"})
	// The old leader died as this slot came, less than 3 seconds ago, before it made its run.
	missed := time.Unix(time.Now().Unix()/3*3, 0)
	h.setNextRun(job, missed)
	h.startScheduler(time.Hour)
	workertest.WaitFor(t, 10*time.Second, "a run for the slot missed "+time.Since(missed).Round(time.Second).String()+" ago", func() bool {
		for _, r := range h.runsOf(job.ID) {
			if r.ScheduledAt.Equal(missed) {
				return true
			}
		}
		return false
	})
}

func TestEachJobsCatchupPolicyDecidesItsMissedSlots(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	// As if the scheduler had been down for the last three slots of a job every 10 minutes.
	first := time.Now().Add(-25 * time.Minute).Truncate(10 * time.Minute)
	var slots []time.Time
	for s := first; !s.After(time.Now()); s = s.Add(10 * time.Minute) {
		slots = append(slots, s)
	}
	jobs := map[schedule.Catchup]sqlcgen.Job{}
	for _, c := range schedule.Catchups() {
		jobs[c] = h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "*/10 * * * *", catchup: c})
		h.setNextRun(jobs[c], first)
	}
	h.startScheduler(time.Hour)

	want := map[schedule.Catchup]func(i int) string{
		schedule.CatchupLatest: func(i int) string { return map[bool]string{true: "completed", false: "missed"}[i == len(slots)-1] },
		schedule.CatchupAll:    func(int) string { return "completed" },
		schedule.CatchupNone:   func(int) string { return "missed" },
	}
	for c, job := range jobs {
		workertest.WaitFor(t, 15*time.Second, string(c)+": a settled row for every slot", func() bool {
			runs := h.runsOf(job.ID)
			for _, r := range runs {
				if !r.Status.Settled() {
					return false
				}
			}
			return len(runs) == len(slots)
		})
		bySlot := map[time.Time]string{}
		for _, r := range h.runsOf(job.ID) {
			bySlot[r.ScheduledAt] = string(r.Status)
		}
		for i, s := range slots {
			if got := bySlot[s]; got != want[c](i) {
				t.Errorf("catchup %s, slot %s: %q, want %q", c, s.Format(time.TimeOnly), got, want[c](i))
			}
		}
	}
	// catchup all makes the missed slots' runs oldest first (runsOf lists the newest run first).
	runs := h.runsOf(jobs[schedule.CatchupAll].ID)
	for i := 1; i < len(runs); i++ {
		if runs[i].ScheduledAt.After(runs[i-1].ScheduledAt) {
			t.Errorf("the run for %s was made before the one for %s", runs[i].ScheduledAt, runs[i-1].ScheduledAt)
		}
	}
}

func TestManyJobsAddedAtOnceAreScheduledWithoutLosingASlot(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	tg := newRecordingTarget(t, nil)
	ticking := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
	h.startScheduler(time.Hour)
	workertest.WaitFor(t, 10*time.Second, "the ticking job runs", func() bool { return len(h.runsOf(ticking.ID)) >= 2 })

	// An import: many jobs in one transaction, the trigger quiet, one notification for all.
	const jobs = 300
	slot := time.Now().UTC().Truncate(time.Second).Add(4 * time.Second)
	ctx := context.Background()
	tx, err := h.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := sqlcgen.New(tx)
	if err := q.JobQuietNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"url": "` + tg.URL + `"}`)
	spec := fmt.Sprintf("%d %d %d * * *", slot.Second(), slot.Minute(), slot.Hour())
	for range jobs {
		if _, err := q.JobInsert(ctx, sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: "imported", Type: "ping", Payload: payload, Cron: spec,
			Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 5000, NextRunAt: &slot}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.JobNotifyAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	workertest.WaitFor(t, 30*time.Second, "a run of every added job at its slot", func() bool {
		var n int
		err := h.pool.QueryRow(ctx, `SELECT count(*) FROM runs WHERE scheduled_at = $1`, slot).Scan(&n)
		return err == nil && n == jobs+1 // and the ticking job's
	})
	workertest.WaitFor(t, 10*time.Second, "the ticking job runs after the slot", func() bool {
		return h.runsOf(ticking.ID)[0].ScheduledAt.After(slot.Add(time.Second))
	})
	// Newest slot first: the dispatcher may store two slots that came together in either order.
	runs := h.runsOf(ticking.ID)
	slices.SortFunc(runs, func(a, b sqlcgen.Run) int { return b.ScheduledAt.Compare(a.ScheduledAt) })
	for i := 1; i < len(runs); i++ {
		if runs[i-1].ScheduledAt.Sub(runs[i].ScheduledAt) != time.Second {
			t.Errorf("slots %s and %s of the ticking job are not consecutive: a slot was lost", runs[i].ScheduledAt, runs[i-1].ScheduledAt)
		}
	}
}
