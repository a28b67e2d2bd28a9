package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/workertest"
)

// afterJob makes a job with no cron that runs after each run of upstream that settles as on.
func (h *harness) afterJob(upstream int64, on, targetURL string) sqlcgen.Job {
	h.t.Helper()
	job := h.insertJob(jobOpts{payload: map[string]string{"url": targetURL}})
	return h.setJob(job, func(p *sqlcgen.JobUpdateParams) {
		p.Cron, p.NextRunAt, p.AfterJobID, p.AfterOn = "", nil, &upstream, on
	})
}

func TestAfterMakesOneRunPerUpstreamRunThatSettlesThatWay(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	up := newHoldTarget(t, nil, 0)
	failing := newRecordingTarget(t, func(string, int) int { return http.StatusInternalServerError })
	down := newHoldTarget(t, nil, 0)
	good := h.insertJob(jobOpts{payload: map[string]string{"url": up.URL}})
	bad := h.insertJob(jobOpts{payload: map[string]string{"url": failing.URL}})
	onSuccess := h.afterJob(good.ID, "success", down.URL+"/?run={{trigger.run.id}}&job={{trigger.job.id}}&status={{trigger.run.status}}")
	onFailure := h.afterJob(bad.ID, "failure", down.URL+"/?run={{trigger.run.id}}")
	neverRuns := h.afterJob(good.ID, "failure", down.URL)

	okRun := h.runNow(good.ID)
	badRun := h.runNow(bad.ID)
	h.waitStatus(okRun.ID, "completed", 10*time.Second)
	h.waitStatus(badRun.ID, "permanently_failed", 10*time.Second)
	for _, c := range []struct {
		job      sqlcgen.Job
		upstream sqlcgen.Run
	}{{onSuccess, okRun}, {onFailure, badRun}} {
		runs := h.settledAll(c.job.ID, 10*time.Second)
		if len(runs) != 1 || runs[0].Status != runstatus.Completed || runs[0].Trigger != "after" ||
			runs[0].TriggerRunID == nil || *runs[0].TriggerRunID != c.upstream.ID {
			t.Fatalf("runs of job %d: %+v", c.job.ID, runs)
		}
	}
	if runs := h.settledAll(neverRuns.ID, time.Second); len(runs) != 0 {
		t.Errorf("job after failures ran %d times after a success", len(runs))
	}
	down.mu.Lock()
	defer down.mu.Unlock()
	var sawTemplates bool
	for _, q := range down.queries {
		if q.Get("run") == fmt.Sprint(okRun.ID) && q.Get("job") == fmt.Sprint(good.ID) && q.Get("status") == "completed" {
			sawTemplates = true
		}
	}
	if !sawTemplates {
		t.Errorf("trigger templates not filled in: %v", down.queries)
	}
}

func TestAfterAcrossTwoReplicasMakesExactlyOneRunPerUpstreamRun(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 4)
	h.startReplica(4)
	up := newHoldTarget(t, nil, 20*time.Millisecond)
	down := newHoldTarget(t, nil, 0)
	upstream := h.insertJob(jobOpts{payload: map[string]string{"url": up.URL}})
	downstream := h.afterJob(upstream.ID, "settled", down.URL)
	const n = 40
	msgs := make([]runmsg.Message, n)
	for i := range msgs {
		run, err := h.q.RunInsertManual(context.Background(), upstream.ID)
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = runmsg.Message{RunID: run.ID, JobID: upstream.ID}
	}
	h.out.Publish(context.Background(), msgs)
	h.out.Publish(context.Background(), msgs) // every message twice, as a redelivery would
	h.settledAll(upstream.ID, 30*time.Second)
	var runs []sqlcgen.Run
	workertest.WaitFor(t, 30*time.Second, "a downstream run per upstream run", func() bool {
		runs = h.settledAll(downstream.ID, 30*time.Second)
		return len(runs) >= n
	})
	seen := map[int64]bool{}
	for _, r := range runs {
		if r.TriggerRunID == nil || seen[*r.TriggerRunID] || r.Status != runstatus.Completed {
			t.Fatalf("downstream run %d: trigger %v, status %s (seen before: %v)", r.ID, r.TriggerRunID, r.Status, r.TriggerRunID != nil && seen[*r.TriggerRunID])
		}
		seen[*r.TriggerRunID] = true
	}
	if requests, _, _, keys := down.snapshot(); len(runs) != n || requests != n || len(keys) != n {
		t.Errorf("%d downstream runs, %d requests, %d keys; want %d each", len(runs), requests, len(keys), n)
	}
}

func TestParamsFillTemplatesAndARunKeepsTheParamsItUsed(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 2)
	tg := newHoldTarget(t, nil, 0)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL + "/?region={{params.region}}"}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) { p.Params = []byte(`{"region": "eu"}`) })

	byDefault := h.runNow(job.ID)
	overridden, err := h.q.RunInsertManualWithParams(context.Background(), sqlcgen.RunInsertManualWithParamsParams{
		JobID: job.ID, Params: []byte(`{"region": "us"}`)})
	if err != nil {
		t.Fatal(err)
	}
	h.out.Publish(context.Background(), []runmsg.Message{{RunID: overridden.ID, JobID: job.ID}})
	for run, want := range map[int64]string{byDefault.ID: "eu", overridden.ID: "us"} {
		r := h.waitStatus(run, "completed", 10*time.Second)
		var used map[string]string
		if err := json.Unmarshal(r.Params, &used); err != nil || used["region"] != want {
			t.Errorf("run %d params = %s, want region %s", run, r.Params, want)
		}
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	got := map[string]bool{}
	for _, q := range tg.queries {
		got[q.Get("region")] = true
	}
	if !got["eu"] || !got["us"] || len(got) != 2 {
		t.Errorf("regions sent: %v", got)
	}
}

func TestPauseAfterFailuresPausesTheJobSaysWhyAuditsAndAlerts(t *testing.T) {
	t.Parallel()
	h := setupSettling(t, 1)
	failing := newRecordingTarget(t, func(string, int) int { return http.StatusInternalServerError })
	ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops", Type: "webhook",
		Config: json.RawMessage(`{"url": "http://127.0.0.1:9/hook"}`)})
	if err != nil {
		t.Fatal(err)
	}
	job := h.insertJob(jobOpts{payload: map[string]string{"url": failing.URL}})
	job = h.setJob(job, func(p *sqlcgen.JobUpdateParams) {
		p.PauseAfterFailures = 2
		p.AlertChannels = []int64{ch.ID}
		p.AlertOn = []string{"failing", "paused"}
	})
	first := h.runNow(job.ID)
	h.waitStatus(first.ID, "permanently_failed", 10*time.Second)
	if j, _ := h.q.JobGet(context.Background(), job.ID); j.Paused {
		t.Fatal("paused after one failure")
	}
	second := h.runNow(job.ID)
	h.waitStatus(second.ID, "permanently_failed", 10*time.Second)
	j, err := h.q.JobGet(context.Background(), job.ID)
	if err != nil || !j.Paused || !strings.Contains(j.PausedReason, "2 runs in a row") {
		t.Fatalf("job: paused %v, reason %q, %v", j.Paused, j.PausedReason, err)
	}
	audit, err := h.q.AuditListByJob(context.Background(), sqlcgen.AuditListByJobParams{JobID: &job.ID, BeforeID: 1 << 62, MaxRows: 10})
	if err != nil || len(audit) == 0 || audit[0].Actor != "cronflow" || audit[0].Action != "job.pause" {
		t.Errorf("audit: %+v, %v", audit, err)
	}
	notices, err := h.q.NoticeListByJob(context.Background(), &job.ID)
	events := map[string]int{}
	for _, n := range notices {
		events[n.Event]++
	}
	if err != nil || events["job.paused"] != 1 || events["job.failing"] != 1 {
		t.Errorf("notices: %v, %v", events, err)
	}
}
