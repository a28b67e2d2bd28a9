package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// scaleSeed fills a fresh database with 100,000 jobs and 1,000,000 runs spread over the last 30
// days. One run in ten belongs to job 1, so that one job has 100,000 runs and the others about 9
// each: the shape that trips a query plan that is fine on average. Test-only SQL, set-based so that
// it takes seconds.
const scaleSeed = `
ALTER TABLE jobs DISABLE TRIGGER USER;
INSERT INTO jobs (name, type, payload, cron, timezone, paused, created_at, updated_at, next_run_at)
SELECT
    (ARRAY['Nightly backup', 'Ping API health', 'Send weekly report', 'Slack standup reminder', 'Sync invoices',
           'Purge temp files', 'Warm cache', 'Check certificates'])[1 + i % 8] || ' #' || i,
    (ARRAY['ping', 'email', 'slack', 'webhook'])[1 + i % 4],
    CASE i % 4
        WHEN 0 THEN jsonb_build_object('url', 'https://status.example.com/health?token=secret' || i)
        WHEN 1 THEN jsonb_build_object('to', jsonb_build_array('ops' || i || '@example.com'), 'subject', 'Report ' || i, 'body', 'Hello')
        WHEN 2 THEN jsonb_build_object('webhook_url', 'https://hooks.slack.com/services/T000/B000/' || md5(i::text), 'text', 'Standup in 5 minutes')
        ELSE jsonb_build_object('url', 'https://user:pass@hooks.example.com/in/' || i, 'body', jsonb_build_object('job', i))
    END,
    (ARRAY['30 2 * * *', '*/5 * * * *', '0 9 * * 1-5', '15 * * * *', '@every 30s', '0 0 1 * *'])[1 + i % 6],
    (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[1 + i % 4],
    i % 50 = 0,
    now() - interval '1 minute' * (100000 - i),
    now() - interval '1 minute' * (100000 - i),
    CASE WHEN i % 50 = 0 THEN NULL ELSE now() + interval '1 second' * (i % 86400) END
FROM generate_series(1, 100000) AS i;
ALTER TABLE jobs ENABLE TRIGGER USER;

INSERT INTO runs (job_id, status, trigger, attempts, retry_count, scheduled_at, created_at, started_at,
                  completed_at, next_attempt_at, output, error)
SELECT
    CASE WHEN i % 10 = 0 THEN 1 ELSE 1 + i % 100000 END,
    s.status,
    CASE WHEN i % 20 = 0 THEN 'manual' ELSE 'schedule' END,
    CASE WHEN s.status = 'queued' THEN 0 ELSE 1 + i % 3 END,
    CASE WHEN s.status = 'queued' THEN 0 ELSE i % 3 END,
    t.at, t.at,
    CASE WHEN s.status = 'queued' THEN NULL ELSE t.at + interval '1 second' END,
    CASE WHEN s.status IN ('completed', 'permanently_failed') THEN t.at + interval '1 second' * (1 + i % 5) END,
    CASE WHEN s.status = 'failed' THEN t.at + interval '2 seconds' END,
    CASE WHEN s.status = 'completed' THEN 'HTTP 200 OK: ' || repeat('{"ok":true} ', 1 + i % 200) ELSE '' END,
    CASE WHEN s.status IN ('failed', 'permanently_failed') THEN 'POST https://hooks.example.com/in/7: HTTP 503 Service Unavailable' ELSE '' END
FROM generate_series(1, 1000000) AS i
CROSS JOIN LATERAL (SELECT now() - interval '2600 milliseconds' * (1000000 - i) AS at) AS t
CROSS JOIN LATERAL (SELECT CASE
    WHEN i > 999990 AND i % 2 = 0 THEN 'running'
    WHEN i > 999980 THEN 'queued'
    WHEN i % 100 < 85 THEN 'completed'
    WHEN i % 100 < 93 THEN 'permanently_failed'
    WHEN i % 100 < 97 THEN 'failed'
    WHEN i % 100 < 99 THEN 'queued'
    ELSE 'running' END AS status) AS s;
`

// BenchmarkDashboardAtScale measures every dashboard page and poll against 100,000 jobs and
// 1,000,000 runs: server time per request (ms/op, and the slowest single request as max-ms) and the
// size of the answer (resp-bytes). Each must stay under 50 ms and 100 KB. Run it with
//
//	go test ./handlers/ -run '^$' -bench BenchmarkDashboardAtScale -benchtime 200x
func BenchmarkDashboardAtScale(b *testing.B) {
	pool := dbtest.NewPool(b)
	ctx := context.Background()
	start := time.Now()
	if _, err := pool.Exec(ctx, scaleSeed); err != nil {
		b.Fatalf("seed: %v", err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	b.Logf("seeded 100,000 jobs and 1,000,000 runs in %s", time.Since(start).Round(time.Second))

	server := NewServer(Deps{
		Queries:   sqlcgen.New(pool),
		DB:        pool,
		Publisher: &recordingPublisher{},
		ReadyFunc: func(context.Context) map[string]string { return nil },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	serve := func(target string, htmx bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if htmx {
			req.Header.Set("HX-Request", "true")
		}
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		return rec
	}
	// The first count of the home page's numbers happens once per process; the pages are measured
	// as they are from then on.
	serve("/", false)

	for _, u := range []struct {
		name, target string
		htmx         bool
	}{
		{"Home", "/", false},
		{"HomePoll", "/home/stats", true},
		{"Jobs", "/jobs", false},
		{"JobsDeepPage", "/jobs?before=50000", false},
		{"JobsNewerPage", "/jobs?after=50000", true},
		{"JobsSearchCommon", "/jobs?q=backup", true},
		{"JobsSearchNoMatch", "/jobs?q=zzqx", true},
		{"JobsSearchOneJob", "/jobs?q=%2399999", true},
		{"JobsTypeAndPaused", "/jobs?type=slack&state=paused", true},
		{"JobWith100kRuns", "/jobs/1", false},
		{"Job", "/jobs/50001", false},
		{"JobEdit", "/jobs/50001/edit", false},
		{"JobNew", "/jobs/new", false},
		{"JobClone", "/jobs/new?from=50001", false},
		{"JobDeleteConfirm", "/jobs/1/delete", true},
		{"SchedulePreview", "/jobs/schedule?mode=advanced&cron=0+9+*+*+1-5&timezone=Europe%2FBerlin", true},
		{"TaskFields", "/jobs/task-fields?type=email", true},
		{"Runs", "/runs", false},
		{"RunsPoll", "/runs/table", true},
		{"RunsDeepPoll", "/runs/table?before=500000", true},
		{"RunsNewerPage", "/runs?after=500000", true},
		{"RunsPermanentlyFailed", "/runs?status=permanently_failed", false},
		{"RunsRunningPoll", "/runs/table?status=running", true},
		{"RunsOfBigJobPoll", "/runs/table?job_id=1", true},
		{"RunsOfBigJobRareStatusPoll", "/runs/table?job_id=1&status=running", true},
		{"RunsOfSmallJobFailedPoll", "/runs/table?job_id=50001&status=failed", true},
		{"Run", "/runs/999000", false},
	} {
		b.Run(u.name, func(b *testing.B) {
			var size int
			var slowest time.Duration
			for b.Loop() {
				t0 := time.Now()
				rec := serve(u.target, u.htmx)
				if d := time.Since(t0); d > slowest {
					slowest = d
				}
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: status %d: %.300s", u.target, rec.Code, rec.Body)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
}
