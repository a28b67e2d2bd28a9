package main

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

func TestJobsFireAgainAfterARestart(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	first := startApp(t, "serve", env)
	job := first.createJob(map[string]any{"type": "ping", "cron": "* * * * * *", "payload": map[string]any{"url": tg.URL}})
	workertest.WaitFor(t, 15*time.Second, "a scheduled run completes", func() bool {
		runs := first.runs(job.ID)
		return len(runs) > 0 && runs[len(runs)-1].Status == "completed"
	})
	if err := first.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	restarted := time.Now()

	second := startApp(t, "serve", env)
	workertest.WaitFor(t, 20*time.Second, "a run scheduled after the restart completes", func() bool {
		for _, r := range second.runs(job.ID) {
			if r.ScheduledAt.After(restarted) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	seen := map[time.Time]bool{}
	for _, r := range second.runs(job.ID) {
		if seen[r.ScheduledAt] {
			t.Fatalf("slot %s ran twice across the restart", r.ScheduledAt)
		}
		seen[r.ScheduledAt] = true
	}
}

func TestShutdownLetsInFlightRunsFinish(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 1500*time.Millisecond)
	app := startApp(t, "serve", testEnv(t))
	job := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	app.waitRun(run.ID, "running")

	if err := app.shutdown(); err != nil {
		t.Fatalf("run returned %v after SIGTERM, want nil", err)
	}
	// The app is gone; read the outcome from a new one on the same database.
	again := startApp(t, "serve", app.env)
	var after apiRun
	again.call(http.MethodGet, fmt.Sprintf("/api/runs/%d", run.ID), nil, &after)
	if after.Status != "completed" || after.Attempts != 1 {
		t.Fatalf("in-flight run after shutdown: status %s, attempts %d; want completed after 1", after.Status, after.Attempts)
	}
}

func TestSIGTERMLetsInFlightRunsFinishAndExitsZero(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 1500*time.Millisecond)
	env := testEnv(t)
	p := startProcess(t, env)
	job := p.app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var run apiRun
	p.app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	p.app.waitRun(run.ID, "running")

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM the process exited with %v, want 0", err)
	}
	again := startProcess(t, env)
	var after apiRun
	again.app.call(http.MethodGet, fmt.Sprintf("/api/runs/%d", run.ID), nil, &after)
	if after.Status != "completed" || after.Attempts != 1 {
		t.Fatalf("the in-flight run after SIGTERM: %s after %d attempts, want completed after 1", after.Status, after.Attempts)
	}
}
