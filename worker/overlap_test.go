package worker

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/workertest"
)

// holdFirst holds the first request open.
func holdFirst(_ url.Values, n int) bool { return n == 1 }

func TestOverlapSkipRecordsTheSlotAsSkippedWithoutRunningIt(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, holdFirst, 0)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "skip" })

	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "running", 10*time.Second)
	second := h.runNow(job.ID)
	skipped := h.waitStatus(second.ID, "skipped", 10*time.Second)
	if !strings.Contains(skipped.Error, "overlap: skip") || skipped.CompletedAt == nil {
		t.Errorf("skipped run: error %q, completed_at %v", skipped.Error, skipped.CompletedAt)
	}
	tg.releaseAll()
	h.waitStatus(first.ID, "completed", 10*time.Second)
	if n, _, _, _ := tg.snapshot(); n != 1 {
		t.Errorf("target got %d requests, want 1: the skipped slot must not run", n)
	}
	// Once nothing is ahead, a slot runs.
	third := h.runNow(job.ID)
	h.waitStatus(third.ID, "completed", 10*time.Second)
}

func TestOverlapQueueRunsOneWaitingSlotWhenTheEarlierRunSettles(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, holdFirst, 0)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "queue" })

	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "running", 10*time.Second)
	second := h.runNow(job.ID)
	workertest.WaitFor(t, 10*time.Second, "second slot waits", func() bool { return h.run(second.ID).WaitingSince != nil })
	third := h.runNow(job.ID)
	skipped := h.waitStatus(third.ID, "skipped", 10*time.Second)
	if !strings.Contains(skipped.Error, "overlap: queue") {
		t.Errorf("third run's error = %q", skipped.Error)
	}
	if r := h.run(second.ID); r.Status != runstatus.Queued {
		t.Fatalf("waiting run is %s while the first still runs", r.Status)
	}
	tg.releaseAll()
	h.waitStatus(first.ID, "completed", 10*time.Second)
	done := h.waitStatus(second.ID, "completed", 10*time.Second)
	if done.StartedAt.Before(*h.run(first.ID).CompletedAt) {
		t.Errorf("waiting run started %v, before the first settled", done.StartedAt)
	}
	if n, most, _, _ := tg.snapshot(); n != 2 || most != 1 {
		t.Errorf("target: %d requests, %d at once; want 2, 1", n, most)
	}
}

func TestOverlapReplaceCancelsAnAttemptBlockedInAnHTTPRequest(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, holdFirst, 0) // the first request is held until the client gives up
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "replace"; p.TimeoutMs = 60000 })

	first := h.runNow(job.ID)
	workertest.WaitFor(t, 10*time.Second, "first request held", func() bool { n, _, _, _ := tg.snapshot(); return n == 1 })
	started := time.Now()
	second := h.runNow(job.ID)
	cancelled := h.waitStatus(first.ID, "cancelled", 10*time.Second)
	if took := time.Since(started); took > 5*time.Second {
		t.Errorf("cancel took %v", took)
	}
	if !strings.Contains(cancelled.Error, "replace") || cancelled.CompletedAt == nil {
		t.Errorf("cancelled run: error %q, completed_at %v", cancelled.Error, cancelled.CompletedAt)
	}
	h.waitStatus(second.ID, "completed", 10*time.Second)
	workertest.WaitFor(t, 5*time.Second, "target sees the request given up", func() bool { _, _, g, _ := tg.snapshot(); return g == 1 })
	attempts, err := h.q.RunAttemptList(context.Background(), first.ID)
	if err != nil || len(attempts) != 1 || attempts[0].Outcome != "cancelled" {
		t.Errorf("attempts of the cancelled run: %+v, %v", attempts, err)
	}
}

func TestASkippedSlotIsToldToAJobsChannelsWhenItsAlertsAskForIt(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, holdFirst, 0)
	ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops", Type: "webhook",
		Config: []byte(`{"url": "http://127.0.0.1:9/hook"}`)})
	if err != nil {
		t.Fatal(err)
	}
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) {
		p.Overlap, p.AlertChannels, p.AlertOn = "skip", []int64{ch.ID}, []string{"failing", "skipped"}
	})
	quietTarget := newHoldTarget(t, holdFirst, 0)
	quiet := h.insertJob(jobOpts{payload: map[string]string{"url": quietTarget.URL}})
	quiet = h.setJob(quiet, func(p *sqlcgen.JobUpdateParams) { p.Overlap, p.AlertChannels = "skip", []int64{ch.ID} })

	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "running", 10*time.Second)
	skipped := h.runNow(job.ID)
	h.waitStatus(skipped.ID, "skipped", 10*time.Second)
	notices, err := h.q.NoticeListByJob(context.Background(), &job.ID)
	if err != nil || len(notices) != 1 || notices[0].Event != "job.skipped" || notices[0].RunID == nil || *notices[0].RunID != skipped.ID {
		t.Errorf("notices: %+v, %v", notices, err)
	}
	tg.releaseAll()
	h.waitStatus(first.ID, "completed", 10*time.Second)

	// A job whose alerts do not name "skipped" (the default) tells nobody.
	held := h.runNow(quiet.ID)
	h.waitStatus(held.ID, "running", 10*time.Second)
	h.waitStatus(h.runNow(quiet.ID).ID, "skipped", 10*time.Second)
	quietTarget.releaseAll()
	h.settledAll(quiet.ID, 10*time.Second)
	notices, err = h.q.NoticeListByJob(context.Background(), &quiet.ID)
	if err != nil || len(notices) != 0 {
		t.Errorf("quiet job's notices: %+v, %v", notices, err)
	}
}

func TestAWaitingSlotGoesWhenItsJobIsSetBackToAllow(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, holdFirst, 0)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "queue" })
	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "running", 10*time.Second)
	second := h.runNow(job.ID)
	workertest.WaitFor(t, 10*time.Second, "second slot waits", func() bool { return h.run(second.ID).WaitingSince != nil })
	h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "allow" })
	h.out.Publish(context.Background(), []runmsg.Message{{RunID: second.ID, JobID: job.ID}})
	h.waitStatus(second.ID, "completed", 10*time.Second)
	if r := h.run(first.ID); r.Status != runstatus.Running {
		t.Errorf("first run is %s; the waiting one should have gone beside it", r.Status)
	}
}
