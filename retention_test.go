package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

func TestRetentionRunsOnTheLeader(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	env["RETENTION_COMPLETED"], env["RETENTION_KEEP_PER_JOB"], env["RETENTION_INTERVAL"] = "1s", "1", "1s"
	app := startApp(t, "serve", env)
	job := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var newest apiRun
	for range 3 {
		app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &newest)
		app.waitRun(newest.ID, "completed")
	}
	workertest.WaitFor(t, 20*time.Second, "retention keeps only the newest run", func() bool {
		runs := app.runs(job.ID)
		return len(runs) == 1 && runs[0].ID == newest.ID
	})
	// The counters are updated as each batch is deleted, a moment after its rows are gone.
	workertest.WaitFor(t, 10*time.Second, "/metrics counts the two deleted runs", func() bool {
		body := app.get("/metrics")
		return strings.Contains(body, `cronflow_retention_deleted_total{kind="completed"} 2`+"\n") &&
			strings.Contains(body, `cronflow_retention_deleted_total{kind="failed"} 0`+"\n")
	})
}
