package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/worker/workertest"
)

// tenThousandJobs is an export document of n ping jobs to url that fire every 20 seconds.
func tenThousandJobs(n int, url string) []byte {
	jobs := make([]map[string]any, n)
	for i := range jobs {
		jobs[i] = map[string]any{"name": fmt.Sprintf("imported %05d", i), "type": "ping", "cron": "*/20 * * * * *",
			"payload": map[string]any{"url": url}}
	}
	doc, _ := json.Marshal(map[string]any{"version": 1, "jobs": jobs})
	return doc
}

func TestTenThousandImportedJobsAreScheduled(t *testing.T) {
	t.Parallel()
	const jobs = 10000
	tg := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	env := testEnv(t)
	app := startApp(t, "serve", env)
	ctx := context.Background()
	listener, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, "LISTEN cronflow_jobs"); err != nil {
		t.Fatal(err)
	}

	doc := tenThousandJobs(jobs, tg.URL)
	start := time.Now()
	resp, err := http.Post(app.URL+"/api/import", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("imported %d jobs (%d bytes) in %s", jobs, len(doc), time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"created":10000`) {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}

	t.Run("TheSchedulersAreToldOnce", func(t *testing.T) {
		// Every notification of the import's transaction arrived at its commit; a marker sent
		// afterwards must be the next one.
		if _, err := app.pool(t).Exec(ctx, "SELECT pg_notify('cronflow_jobs', 'marker')"); err != nil {
			t.Fatal(err)
		}
		var got []string
		for len(got) == 0 || got[len(got)-1] != "marker" {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			n, err := listener.WaitForNotification(wctx)
			cancel()
			if err != nil {
				t.Fatalf("notifications so far %v: %v", got, err)
			}
			got = append(got, n.Payload)
		}
		if len(got) != 2 || got[0] != "*" {
			t.Fatalf("notifications = %.10v (%d), want one '*' and the marker", got, len(got))
		}
	})
	t.Run("EveryJobsNextSlotFires", func(t *testing.T) {
		workertest.WaitFor(t, 90*time.Second, "a run of every imported job", func() bool {
			var n int
			err := app.pool(t).QueryRow(ctx, "SELECT count(DISTINCT job_id) FROM runs").Scan(&n)
			return err == nil && n == jobs
		})
	})
}
