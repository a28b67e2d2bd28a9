package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

func TestWorkerModeOnlyConsumes(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	w := startApp(t, "worker", env)

	t.Run("HealthEndpointsAnswer", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code := w.call(http.MethodGet, path, nil, nil); code != http.StatusOK {
				t.Errorf("GET %s = %d", path, code)
			}
		}
		if code := w.call(http.MethodGet, "/api/jobs", nil, nil); code != http.StatusNotFound {
			t.Errorf("a worker serves no API, but GET /api/jobs = %d", code)
		}
	})
	t.Run("ItExecutesRunsAServerQueued", func(t *testing.T) {
		serverEnv := map[string]string{}
		for k, v := range env {
			serverEnv[k] = v
		}
		serverEnv["CONSUMERS"] = "1"
		srv := startApp(t, "serve", serverEnv)
		job := srv.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
		var ids []int64
		for range 20 {
			var run apiRun
			srv.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
			ids = append(ids, run.ID)
		}
		for _, id := range ids {
			srv.waitRun(id, "completed")
		}
		if !w.logs.Contains(`"msg":"Run completed"`) {
			t.Errorf("the worker executed none of the 20 runs")
		}
	})
}

func TestAnotherReplicaTakesOverScheduling(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	a := startApp(t, "serve", env)
	b := startApp(t, "serve", env)
	job := a.createJob(map[string]any{"type": "ping", "cron": "* * * * * *", "payload": map[string]any{"url": tg.URL}})
	workertest.WaitFor(t, 15*time.Second, "a scheduled run", func() bool { return len(a.runs(job.ID)) > 0 })

	leader, other := a, b
	if b.logs.Contains("Became the scheduler leader") {
		leader, other = b, a
	}
	if err := leader.shutdown(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	workertest.WaitFor(t, 15*time.Second, "the other replica schedules a run", func() bool {
		for _, r := range other.runs(job.ID) {
			if r.ScheduledAt.After(stopped) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	if !other.logs.Contains("Became the scheduler leader") {
		t.Error("the surviving replica never said it leads")
	}
	var stats map[string]json.RawMessage
	other.call(http.MethodGet, "/api/stats", nil, &stats)
}
