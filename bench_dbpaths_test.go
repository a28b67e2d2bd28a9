package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/worker/workertest"
)

// jobDeleteSeed makes 100 jobs, the first with 100,000 completed runs from the last 100,000
// minutes, each with its attempt and every tenth with a notice, and the others with 100 runs each.
// Test-only SQL.
const jobDeleteSeed = `
INSERT INTO jobs (name, type, payload, cron, timezone, next_run_at)
SELECT 'job ' || i, 'ping', '{"url": "https://example.com/health"}', '0 0 1 1 *', 'UTC', now() + interval '1 day'
FROM generate_series(1, 100) AS i;
INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, created_at, started_at, completed_at, output)
SELECT (SELECT min(id) FROM jobs), 'completed', 'schedule', 1, t.at, t.at, t.at, t.at + interval '1 second', 'HTTP 200 OK'
FROM generate_series(1, 100000) AS i
CROSS JOIN LATERAL (SELECT now() - interval '1 minute' * i AS at) AS t;
INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, created_at, started_at, completed_at, output)
SELECT j.id, 'completed', 'schedule', 1, t.at, t.at, t.at, t.at + interval '1 second', 'HTTP 200 OK'
FROM (SELECT id FROM jobs WHERE id > (SELECT min(id) FROM jobs)) AS j
CROSS JOIN generate_series(1, 100) AS i
CROSS JOIN LATERAL (SELECT now() - interval '1 minute' * i AS at) AS t;
INSERT INTO run_attempts (run_id, attempt, started_at, finished_at, outcome, output)
SELECT id, 1, started_at, completed_at, 'completed', output FROM runs;
INSERT INTO channels (name, type, config) VALUES ('ops', 'webhook', '{"url": "http://127.0.0.1:1/hook"}');
INSERT INTO notices (channel_id, job_id, run_id, event, episode, status, created_at, sent_at)
SELECT (SELECT id FROM channels), job_id, id, 'job.failing', id, 'sent', completed_at, completed_at
FROM runs WHERE id % 10 = 0;
`

// BenchmarkJobDelete starts Cronflow as the binary would be, with a job of 100,000 runs (with
// their attempts and notices), and measures how long DELETE /api/jobs/:id takes to answer
// (answer-ms), how long until its runs are all deleted in the background (background-s), and the
// dashboard's runs poll meanwhile (page). Run it with:
//
//	go test -run '^$' -bench JobDelete -benchtime 3x .
func BenchmarkJobDelete(b *testing.B) {
	for range b.N {
		b.StopTimer()
		env := benchEnv(b, loadSetup{})
		pool := seedBench(b, env["DATABASE_URL"], jobDeleteSeed)
		url := benchApp(b, env)
		var jobID int64
		if err := pool.QueryRow(context.Background(), `SELECT min(id) FROM jobs`).Scan(&jobID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/api/jobs/%d", url, jobID), nil)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		answer := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
			b.Fatalf("DELETE: %d", resp.StatusCode)
		}
		b.ReportMetric(float64(answer.Microseconds())/1000, "answer-ms")
		if resp, err := http.Get(fmt.Sprintf("%s/api/jobs/%d", url, jobID)); err != nil || resp.StatusCode != http.StatusNotFound {
			b.Fatalf("GET the deleted job: %v, %v", resp, err)
		}
		var page latencies
		workertest.WaitFor(b, 10*time.Minute, "the deleted job's runs are deleted", func() bool {
			t0 := time.Now()
			if resp, err := http.Get(url + "/runs/table"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				page.add(time.Since(t0))
			}
			var left bool
			err := pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM job_keys WHERE deleted_at IS NOT NULL)`).Scan(&left)
			return err == nil && !left
		})
		background := time.Since(start)
		b.ReportMetric(background.Seconds(), "background-s")
		b.StopTimer()
		b.Logf("answered in %s, runs deleted after %s", answer.Round(time.Millisecond), background.Round(time.Millisecond))
		page.report(b, "page")
	}
}

// seedBench runs the seed statements on a fresh database, then VACUUM ANALYZE, and logs how long
// that took. It answers a pool on the database.
func seedBench(b *testing.B, dbURL string, seeds ...string) *pgxpool.Pool {
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	start := time.Now()
	for _, sql := range append(seeds, "VACUUM ANALYZE") {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	b.Logf("seeded in %s", time.Since(start).Round(time.Millisecond))
	return pool
}

// statsSeedChunk makes 1,000,000 runs, spread over 1,000 jobs and every finished status. Test-only
// SQL; the benchmark runs it ten times, so that no statement holds ten million rows at once.
const statsSeedChunk = `
INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, created_at, completed_at)
SELECT j.id, (ARRAY['completed', 'completed', 'completed', 'permanently_failed', 'skipped', 'missed', 'cancelled'])[1 + i % 7],
       'schedule', 1, t.at, t.at, t.at + interval '1 second'
FROM generate_series($1::bigint, $1::bigint + 999999) AS i
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM jobs) AS j ON j.n = i % 1000
CROSS JOIN LATERAL (SELECT now() - interval '1 second' * i AS at) AS t`

// BenchmarkStats starts Cronflow as the binary would be on a database with 10,000,000 runs, and
// measures GET /api/stats in three rounds of a hundred calls, beside a full count of the runs by
// status, as it was made before (scan-ms). It reports the median of the rounds' medians
// (stats-p50-ms) and the slowest call (stats-max-ms); the seeding, done once, is reported apart
// (seed-s). Run it with -benchtime 1x: each further iteration would seed again.
//
//	go test -run '^$' -bench Stats -benchtime 1x .
func BenchmarkStats(b *testing.B) {
	env := benchEnv(b, loadSetup{})
	pool := seedBench(b, env["DATABASE_URL"], `INSERT INTO jobs (name, type, payload, cron, timezone, next_run_at)
SELECT 'job ' || i, 'ping', '{"url": "https://example.com/health"}', '0 0 1 1 *', 'UTC', now() + interval '1 day'
FROM generate_series(1, 1000) AS i`)
	start := time.Now()
	for i := range 10 {
		if _, err := pool.Exec(context.Background(), statsSeedChunk, int64(i)*1000000); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	if _, err := pool.Exec(context.Background(), "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	seed := time.Since(start)
	url := benchApp(b, env)
	t0 := time.Now()
	if _, err := pool.Exec(context.Background(), `SELECT status, count(*) FROM runs GROUP BY status`); err != nil {
		b.Fatal(err)
	}
	scan := time.Since(t0)
	b.ResetTimer() // it clears the metrics too: they are reported at the end
	var medians []time.Duration
	var slowest time.Duration
	for range 3 {
		var round []time.Duration
		for range 100 {
			t0 := time.Now()
			resp, err := http.Get(url + "/api/stats")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("GET /api/stats: %d", resp.StatusCode)
			}
			round = append(round, time.Since(t0))
		}
		slices.Sort(round)
		medians = append(medians, round[len(round)/2])
		slowest = max(slowest, round[len(round)-1])
	}
	b.StopTimer()
	b.Logf("each round's median: %v", medians)
	slices.Sort(medians)
	b.ReportMetric(float64(medians[1].Microseconds())/1000, "stats-p50-ms")
	b.ReportMetric(float64(slowest.Microseconds())/1000, "stats-max-ms")
	b.ReportMetric(seed.Seconds(), "seed-s")
	b.ReportMetric(float64(scan.Microseconds())/1000, "scan-ms")
}
