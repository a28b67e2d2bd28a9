package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

func TestDeletingAJobWithManyRunsIsAtOnceAndItsRunsGoInTheBackground(t *testing.T) {
	t.Parallel()
	app := startApp(t, "serve", testEnv(t))
	ctx := context.Background()
	pool := app.pool(t)
	job := app.createJob(map[string]any{"name": "doomed", "type": "ping", "cron": "* * * * *", "payload": map[string]any{"url": "http://127.0.0.1:1/"}})
	other := app.createJob(map[string]any{"name": "other", "type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": "http://127.0.0.1:1/"}})
	// Many runs, more than a batch, some of them still queued (test-only SQL).
	if _, err := pool.Exec(ctx, `
		INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, completed_at)
		SELECT $1, CASE WHEN i % 1000 = 0 THEN 'queued' ELSE 'completed' END, 'schedule', 1,
		       now() - interval '1 minute' * i, now() - interval '1 minute' * i
		FROM generate_series(1, 12000) AS i`, job.ID); err != nil {
		t.Fatal(err)
	}

	if code := app.call(http.MethodDelete, fmt.Sprintf("/api/jobs/%d", job.ID), nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	if code := app.call(http.MethodGet, fmt.Sprintf("/api/jobs/%d", job.ID), nil, nil); code != http.StatusNotFound {
		t.Fatalf("GET the deleted job: %d, want 404", code)
	}
	if body := app.get("/api/jobs"); strings.Contains(body, `"doomed"`) || !strings.Contains(body, `"other"`) {
		t.Fatalf("the jobs list still shows the deleted job, or lost the other: %s", body)
	}
	if body := app.get("/runs/table"); strings.Contains(body, "doomed") {
		t.Fatal("the runs list still shows the deleted job's runs")
	}
	workertest.WaitFor(t, time.Minute, "the deleted job's runs are deleted in the background", func() bool {
		var left int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM job_keys WHERE id = $1`, job.ID).Scan(&left)
		return err == nil && left == 0
	})
	var runs, audit int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM runs WHERE job_id = $1),
		(SELECT count(*) FROM audit_log WHERE job_id = $1 AND action = 'job.delete')`, job.ID).Scan(&runs, &audit); err != nil {
		t.Fatal(err)
	}
	if runs != 0 || audit != 1 {
		t.Fatalf("%d runs left, %d audit entries of the delete; want none and one", runs, audit)
	}
	if body := app.get("/metrics"); !strings.Contains(body, "cronflow_deleted_job_runs_total 12000\n") {
		t.Error("/metrics does not count the 12,000 runs deleted in the background")
	}
	if code := app.call(http.MethodGet, fmt.Sprintf("/api/jobs/%d", other.ID), nil, nil); code != http.StatusOK {
		t.Fatalf("GET the other job: %d", code)
	}
}
