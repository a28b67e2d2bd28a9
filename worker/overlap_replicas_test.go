package worker

import (
	"context"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/workertest"
)

// burst makes n manual runs of a job at once and publishes them in one go, so that two replicas
// claim them side by side.
func (h *harness) burst(jobID int64, n int) {
	h.t.Helper()
	msgs := make([]runmsg.Message, n)
	for i := range msgs {
		run, err := h.q.RunInsertManual(context.Background(), jobID)
		if err != nil {
			h.t.Fatalf("insert run: %v", err)
		}
		msgs[i] = runmsg.Message{RunID: run.ID, JobID: jobID}
	}
	h.out.Publish(context.Background(), msgs)
}

func TestOverlapAcrossTwoReplicasRunsNoSlotTwiceAndLosesNone(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"skip", "queue"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			h := setupSettling(t, 4)
			h.startReplica(4)
			tg := newHoldTarget(t, nil, 150*time.Millisecond)
			job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
			job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = policy })
			const slots = 30
			for range 3 { // three waves, so that slots come while others run and after they settle
				h.burst(job.ID, slots/3)
				time.Sleep(100 * time.Millisecond)
			}
			runs := h.settledAll(job.ID, 30*time.Second)
			counts := countStatuses(runs)
			requests, most, _, keys := tg.snapshot()
			if len(runs) != slots || counts[runstatus.Completed]+counts[runstatus.Skipped] != slots {
				t.Fatalf("%d runs, statuses %v; want %d completed or skipped", len(runs), counts, slots)
			}
			if most != 1 {
				t.Errorf("%d runs of the job ran at once, want 1", most)
			}
			if requests != counts[runstatus.Completed] || counts[runstatus.Completed] == 0 {
				t.Errorf("%d requests for %d completed runs", requests, counts[runstatus.Completed])
			}
			for key, n := range keys {
				if n != 1 {
					t.Errorf("run %s executed %d times", key, n)
				}
			}
		})
	}
}

func TestOverlapQueueSlotWaitingThroughARestartRunsOnce(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	h.stopConsumer()
	// The first consumer set dies between the settle's commit and its publish of the waiting slot:
	// its alerter has no run publisher, so the slot is only stored as free to go.
	h.alerts = NewAlerter(h.pool, h.q, nopNotices{}, h.logger)
	h.startConsumer(2)
	tg := newHoldTarget(t, holdFirst, 0)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "queue" })
	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "running", 10*time.Second)
	second := h.runNow(job.ID)
	workertest.WaitFor(t, 10*time.Second, "second slot waits", func() bool { return h.run(second.ID).WaitingSince != nil })
	tg.releaseAll()
	h.waitStatus(first.ID, "completed", 10*time.Second)
	h.stopConsumer()
	if r := h.run(second.ID); r.Status != runstatus.Queued || r.PublishedAt != nil {
		t.Fatalf("waiting slot after the first settled: %s, published %v", r.Status, r.PublishedAt)
	}

	// A new process: its reaper finds the slot free to go and publishes it.
	h.alerts = NewAlerter(h.pool, h.q, h.out, h.logger)
	h.startConsumer(2)
	reaper := NewReaper(h.q, h.out, h.logger)
	workertest.WaitFor(t, 15*time.Second, "reaper publishes the waiting slot", func() bool {
		reaper.reap(context.Background())
		return h.run(second.ID).Status == runstatus.Completed
	})
	if n, most, _, keys := tg.snapshot(); n != 2 || most != 1 || keys[idempotencyKey(job.ID, second.ID)] != 1 {
		t.Errorf("target: %d requests, %d at once, keys %v", n, most, keys)
	}
}

// nopNotices publishes nothing, and no runs.
type nopNotices struct{}

func (nopNotices) PublishNotices(context.Context, []int64) {}

func TestOverlapQueueWaitingSlotIsNotReapedWhileTheRunAheadRuns(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, holdFirst, 0)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "queue" })
	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "running", 10*time.Second)
	second := h.runNow(job.ID)
	workertest.WaitFor(t, 10*time.Second, "second slot waits", func() bool { return h.run(second.ID).WaitingSince != nil })
	orphans, err := h.q.RunListOrphaned(context.Background(), sqlcgen.RunListOrphanedParams{
		UnpublishedBefore: time.Now().Add(time.Hour), StaleBefore: time.Now().Add(time.Hour),
		RetryOverdueBefore: time.Now(), MaxRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orphans {
		if o.ID == second.ID {
			t.Errorf("the waiting slot %d is listed as orphaned while run %d runs", second.ID, first.ID)
		}
	}
	tg.releaseAll()
	h.waitStatus(second.ID, "completed", 10*time.Second)
}
