package worker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// setWindow gives a job jitter, a start, an end and blackouts, as an edit through the store would.
func (h *harness) setWindow(j sqlcgen.Job, jitter time.Duration, startAt, endAt *time.Time, blackouts string) sqlcgen.Job {
	h.t.Helper()
	next := time.Now()
	job, err := h.q.JobUpdate(context.Background(), sqlcgen.JobUpdateParams{ID: j.ID, Name: j.Name, Type: j.Type,
		Payload: j.Payload, Cron: j.Cron, Timezone: j.Timezone, MaxRetries: j.MaxRetries, RetryDelayMs: j.RetryDelayMs,
		TimeoutMs: j.TimeoutMs, Catchup: j.Catchup, NextRunAt: &next,
		JitterMs: jitter.Milliseconds(), StartAt: startAt, EndAt: endAt, Blackouts: []byte(blackouts)})
	if err != nil {
		h.t.Fatalf("set the window of job %d: %v", j.ID, err)
	}
	return job
}

// A slot in a blackout is recorded as a skipped run, reason "blackout", and never reaches the
// target; the slots around it run, and no slot is lost (issue 21).
func TestABlackoutSlotIsSkippedAndNeverExecuted(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	reg := prometheus.NewRegistry()
	h.metrics = NewMetrics(reg)
	h.stopConsumer()
	h.startConsumer(4)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
	from := time.Now().Truncate(time.Second).Add(3 * time.Second)
	to := from.Add(3 * time.Second)
	h.setWindow(job, 0, nil, nil, fmt.Sprintf(`[{"from": %q, "to": %q}]`, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)))
	h.startScheduler(0)

	workertest.WaitFor(t, 20*time.Second, "two completed runs after the blackout", func() bool {
		n := 0
		for _, r := range h.runsOf(job.ID) {
			if !r.ScheduledAt.Before(to) && r.Status == runstatus.Completed {
				n++
			}
		}
		return n >= 2
	})
	skipped := 0
	var slots []time.Time
	for _, r := range h.runsOf(job.ID) {
		slots = append(slots, r.ScheduledAt)
		inside := !r.ScheduledAt.Before(from) && r.ScheduledAt.Before(to)
		switch {
		case inside && (r.Status != runstatus.Skipped || r.Error != "blackout" || r.Attempts != 0):
			t.Errorf("run at %s in the blackout: status %s, error %q, %d attempts; want skipped, blackout, none",
				r.ScheduledAt, r.Status, r.Error, r.Attempts)
		case inside:
			skipped++
			if hits := tg.hitsFor(fmt.Sprintf("run-%d", r.ID)); len(hits) != 0 {
				t.Errorf("skipped run %d reached the target %d times", r.ID, len(hits))
			}
		case r.Status == runstatus.Skipped:
			t.Errorf("run at %s outside the blackout was skipped", r.ScheduledAt)
		}
	}
	if skipped != 3 {
		t.Errorf("%d slots recorded skipped, want the blackout's 3", skipped)
	}
	for i := 1; i < len(slots); i++ {
		if slots[i-1].Sub(slots[i]) != time.Second {
			t.Errorf("slots %s and %s are not consecutive: a slot was lost", slots[i], slots[i-1])
		}
	}
	// Every run that started is in the skew histogram, the skipped ones are not.
	if got := histogramCount(t, reg, "cronflow_schedule_skew_seconds"); got < 2 {
		t.Errorf("skew histogram counted %d starts, want every run that started", got)
	}
}

// histogramCount is how many observations the histogram name holds.
func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// A job's jitter offset and H values come from its id alone: two replicas compute the same slots,
// and so does a scheduler started again; the runs fall on them, one per slot.
func TestJitterIsStableAcrossReplicasAndRestarts(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "*/5 * * * * *"})
	// A jitter whose offset for this id is not a whole number of slots, or the test could not tell
	// it was applied.
	jitter := 2 * time.Second
	for schedule.JitterOffset(job.ID, jitter)%(5*time.Second) == 0 {
		jitter += time.Second
	}
	job = h.setWindow(job, jitter, nil, nil, "[]")
	row := sqlcgen.JobScheduleListRow{ID: job.ID, Cron: job.Cron, Timezone: job.Timezone, JitterMs: job.JitterMs}
	now := time.Now()
	a, _ := NextSlots(row, now, 5)
	b, _ := NextSlots(row, now, 5)
	for i := range a {
		if !a[i].Equal(b[i]) {
			t.Fatalf("two computations gave %v and %v", a, b)
		}
	}
	offset := a[0].Sub(a[0].Truncate(5 * time.Second))

	// Two schedulers (two replicas), then one stopped and a new one started (a restart).
	h.startScheduler(0)
	ctx, cancel := context.WithCancel(context.Background())
	disp := NewDispatcher(h.q, h.out, h.logger)
	s := NewScheduler(h.pool, disp, 0, h.logger)
	done := make(chan struct{}, 2)
	go func() { disp.Run(ctx); done <- struct{}{} }()
	go func() { _ = s.Run(ctx); done <- struct{}{} }()
	workertest.WaitFor(t, 20*time.Second, "two runs", func() bool { return len(h.runsOf(job.ID)) >= 2 })
	cancel()
	<-done
	<-done
	h.startScheduler(0)
	n := len(h.runsOf(job.ID))
	workertest.WaitFor(t, 20*time.Second, "two runs after the restart", func() bool { return len(h.runsOf(job.ID)) >= n+2 })

	seen := map[time.Time]bool{}
	for _, r := range h.runsOf(job.ID) {
		if seen[r.ScheduledAt] {
			t.Errorf("slot %s has two runs", r.ScheduledAt)
		}
		seen[r.ScheduledAt] = true
		if got := r.ScheduledAt.Sub(r.ScheduledAt.Truncate(5 * time.Second)); got != offset {
			t.Errorf("run at %s is %s past its 5-second slot, want the job's offset %s", r.ScheduledAt, got, offset)
		}
	}
	if want := schedule.JitterOffset(job.ID, jitter) % (5 * time.Second); offset != want || offset == 0 {
		t.Errorf("slots are %s past the 5-second marks, want the job's offset, %s", offset, want)
	}
}

// A slot the catch-up leaves out is recorded skipped, not missed, when it is in a blackout; the
// others are missed as before.
func TestACaughtUpSlotInABlackoutIsSkipped(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *", catchup: "none"})
	now := time.Now().Truncate(time.Second)
	from, to, past := now.Add(-6*time.Second), now.Add(-3*time.Second), now.Add(-10*time.Second)
	_, err := h.q.JobUpdate(context.Background(), sqlcgen.JobUpdateParams{ID: job.ID, Name: job.Name, Type: job.Type,
		Payload: job.Payload, Cron: job.Cron, Timezone: job.Timezone, MaxRetries: job.MaxRetries, RetryDelayMs: job.RetryDelayMs,
		TimeoutMs: job.TimeoutMs, Catchup: job.Catchup, NextRunAt: &past,
		Blackouts: []byte(fmt.Sprintf(`[{"from": %q, "to": %q}]`, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)))})
	if err != nil {
		t.Fatal(err)
	}
	h.startScheduler(time.Hour)
	workertest.WaitFor(t, 20*time.Second, "the passed slots recorded", func() bool {
		n := 0
		for _, r := range h.runsOf(job.ID) {
			if r.ScheduledAt.Before(now) {
				n++
			}
		}
		return n >= 10
	})
	for _, r := range h.runsOf(job.ID) {
		if !r.ScheduledAt.Before(now) {
			continue
		}
		inside := !r.ScheduledAt.Before(from) && r.ScheduledAt.Before(to)
		if inside && (r.Status != runstatus.Skipped || r.Error != "blackout") {
			t.Errorf("caught-up slot %s in the blackout is %s (%q), want skipped (blackout)", r.ScheduledAt, r.Status, r.Error)
		}
		if !inside && r.Status != runstatus.Missed {
			t.Errorf("caught-up slot %s outside the blackout is %s, want missed", r.ScheduledAt, r.Status)
		}
	}
}

// No slot runs after a job's end_at: its runs stop there.
func TestNoSlotRunsAfterTheEnd(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "* * * * * *"})
	end := time.Now().Truncate(time.Second).Add(3 * time.Second)
	h.setWindow(job, 0, nil, &end, "[]")
	h.startScheduler(0)
	workertest.WaitFor(t, 20*time.Second, "two seconds past the end", func() bool { return time.Now().After(end.Add(2 * time.Second)) })
	runs := h.runsOf(job.ID)
	if len(runs) == 0 {
		t.Fatal("the job never ran before its end")
	}
	for _, r := range runs {
		if r.ScheduledAt.After(end) {
			t.Errorf("run at %s, after the end %s", r.ScheduledAt, end)
		}
	}
	if requests, keys := tg.total(); requests != keys || keys > len(runs) {
		t.Errorf("target got %d requests for %d runs", requests, len(runs))
	}
}
