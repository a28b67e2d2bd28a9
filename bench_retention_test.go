package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// retentionSeed makes 1,000 jobs and 1,000,000 completed runs between 31 and 43 days old, a
// thousand a job, each with a short output and its attempt; a webhook channel that every job alerts,
// each job's alert state, a notice for every tenth run, and 10,000 test notices with no run, as
// old. Test-only SQL, set-based so that it takes seconds.
const retentionSeed = `
INSERT INTO jobs (name, type, payload, cron, timezone, next_run_at)
SELECT 'old job ' || i, 'ping', '{"url": "https://example.com/health"}', '0 0 1 1 *', 'UTC', now() + interval '1 day'
FROM generate_series(1, 1000) AS i;
INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, created_at, started_at, completed_at, output)
SELECT j.id, 'completed', 'schedule', 1, t.at, t.at, t.at, t.at + interval '1 second', 'HTTP 200 OK: {"ok":true}'
FROM generate_series(0, 999999) AS i
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM jobs) AS j ON j.n = i % 1000
CROSS JOIN LATERAL (SELECT now() - interval '31 days' - interval '1 second' * i AS at) AS t
ORDER BY i DESC;
INSERT INTO run_attempts (run_id, attempt, started_at, finished_at, outcome, output)
SELECT id, 1, started_at, completed_at, 'completed', output FROM runs;
INSERT INTO channels (name, type, config) VALUES ('ops', 'webhook', '{"url": "http://127.0.0.1:1/hook"}');
UPDATE jobs SET alert_channels = ARRAY[(SELECT id FROM channels)];
INSERT INTO job_alert_state (job_id, consecutive_failures, failing, episode) SELECT id, 0, false, 100 FROM jobs;
INSERT INTO notices (channel_id, job_id, run_id, event, episode, status, created_at, sent_at, details)
SELECT (SELECT id FROM channels), job_id, id, CASE WHEN id % 20 = 0 THEN 'job.failing' ELSE 'job.recovered' END,
       id / 20, 'sent', completed_at, completed_at, '{"run": {"error": "HTTP 500"}}'
FROM runs WHERE id % 10 = 0;
INSERT INTO notices (channel_id, event, status, created_at, sent_at)
SELECT (SELECT id FROM channels), 'channel.test', 'sent', now() - interval '100 days', now() - interval '100 days'
FROM generate_series(1, 10000);
`

// latencies collects how long something took, many times over.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// report adds the median, the 99th percentile and the slowest, in milliseconds, as name-p50-ms and so on.
func (l *latencies) report(b *testing.B, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		b.Fatalf("no %s measured", name)
	}
	slices.Sort(l.d)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(l.d[len(l.d)/2]), name+"-p50-ms")
	b.ReportMetric(ms(l.d[len(l.d)*99/100]), name+"-p99-ms")
	b.ReportMetric(ms(l.d[len(l.d)-1]), name+"-max-ms")
	b.ReportMetric(float64(len(l.d)), name+"-n")
}

// BenchmarkRetention starts Cronflow as the binary would be on a database with 1,000,000 completed
// runs older than RETENTION_COMPLETED, with their attempts, notices and alert state (retentionSeed),
// and measures how many runs its first pass deletes a second (runs-per-s), and, while that pass
// deletes them (keeping each job's newest 20), the dashboard's runs poll and job page (page) and a
// run made with Run now until it is completed (run), and then the same once the pass is over
// (after-page, after-run). Run it with:
//
//	go test -run '^$' -bench Retention -benchtime 1x .
func BenchmarkRetention(b *testing.B) {
	const runs, kept = 1000000, 1000 * 20
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer target.Close()
	for range b.N {
		b.StopTimer()
		env := benchEnv(b, loadSetup{})
		env["CRONFLOW_RUN_NOW_PER_MINUTE"] = "100000" // the measurement runs twenty a second
		pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		start := time.Now()
		for _, sql := range []string{retentionSeed, "VACUUM ANALYZE"} {
			if _, err := pool.Exec(context.Background(), sql); err != nil {
				b.Fatalf("seed: %v", err)
			}
		}
		b.Logf("seeded %d runs in %s", runs, time.Since(start).Round(time.Second))
		payload, _ := json.Marshal(map[string]string{"url": target.URL})
		next := time.Now().Add(time.Hour)
		job, err := sqlcgen.New(pool).JobInsert(context.Background(), sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: "measured", Type: "ping",
			Payload: payload, Cron: "0 0 1 1 *", Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, NextRunAt: &next})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		measureRetention(b, benchApp(b, env), job.ID, runs-kept)
		b.StopTimer()
	}
}

// measureRetention measures the pages and a run's way through the consumers while retention
// deletes want runs, and after.
func measureRetention(b *testing.B, url string, jobID int64, want int) {
	var page, runNow, afterPage, afterRun latencies
	get := func(path string) error {
		resp, err := http.Get(url + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return nil
	}
	timed := func(l *latencies, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Error(err)
			return
		}
		l.add(time.Since(t0))
	}
	pages := func(l *latencies) {
		timed(l, func() error { return get("/runs/table") })
		timed(l, func() error { return get(fmt.Sprintf("/jobs/%d", jobID)) })
	}
	runOnce := func(l *latencies) { timed(l, func() error { return runToCompletion(url, jobID) }) }

	passStart := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range []func(){func() { pages(&page) }, func() { runOnce(&runNow) }} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Twenty times a second: a busy dashboard and a steady stream of runs, not a flood
			// that would measure itself.
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					f()
				}
			}
		}()
	}
	workertest.WaitFor(b, 10*time.Minute, "retention deletes the old runs", func() bool {
		return metricValue(url, `cronflow_retention_deleted_total{kind="completed"}`) >= float64(want)
	})
	close(done)
	wg.Wait()
	pass := time.Since(passStart)
	b.ReportMetric(pass.Seconds(), "pass-s")
	b.ReportMetric(float64(want)/pass.Seconds(), "runs-per-s")
	for range 50 {
		pages(&afterPage)
		runOnce(&afterRun)
	}
	page.report(b, "page")
	runNow.report(b, "run")
	afterPage.report(b, "after-page")
	afterRun.report(b, "after-run")
}

// runToCompletion makes a run of the job with Run now and waits until it is completed.
func runToCompletion(url string, jobID int64) error {
	resp, err := http.Post(fmt.Sprintf("%s/api/jobs/%d/run", url, jobID), "application/json", nil)
	if err != nil {
		return err
	}
	var run struct{ ID int64 }
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("run now: %d, %v", resp.StatusCode, err)
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(fmt.Sprintf("%s/api/runs/%d", url, run.ID))
		if err != nil {
			return err
		}
		var r struct{ Status string }
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err == nil && r.Status == "completed" {
			return nil
		}
	}
	return fmt.Errorf("run %d did not complete within a minute", run.ID)
}

// metricValue reads one series from the app's /metrics; -1 if it cannot.
func metricValue(url, series string) float64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}
