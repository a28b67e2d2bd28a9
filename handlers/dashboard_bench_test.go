package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// scaleRuns is how many runs the benchmark seeds: 10 million, spread over the last 30 days.
const scaleRuns = 10_000_000

// scaleSeed fills a fresh database with 100,000 jobs and %[1]d runs spread over the last 30 days,
// with what the health columns read: each job's hourly counts, alert state for the jobs that fail,
// an attempt for each of the last million runs, and channels with deliveries. One run in ten
// belongs to job 1, so that one job has a tenth of the runs and the others about 90 each: the
// shape that trips a query plan that is fine on average. Test-only SQL, set-based, inserted
// before the runs' secondary indexes are built, so that it takes minutes, not hours.
const scaleSeed = `
ALTER TABLE jobs DISABLE TRIGGER USER;
INSERT INTO jobs (name, type, payload, cron, timezone, paused, created_at, updated_at, next_run_at)
SELECT
    (ARRAY['Nightly backup', 'Ping API health', 'Send weekly report', 'Slack standup reminder', 'Sync invoices',
           'Purge temp files', 'Warm cache', 'Check certificates'])[1 + i %% 8] || ' #' || i,
    (ARRAY['ping', 'email', 'slack', 'webhook'])[1 + i %% 4],
    CASE i %% 4
        WHEN 0 THEN jsonb_build_object('url', 'https://status.example.com/health?token=secret' || i)
        WHEN 1 THEN jsonb_build_object('to', jsonb_build_array('ops' || i || '@example.com'), 'subject', 'Report ' || i, 'body', 'Hello')
        WHEN 2 THEN jsonb_build_object('webhook_url', 'https://hooks.slack.com/services/T000/B000/' || md5(i::text), 'text', 'Standup in 5 minutes')
        ELSE jsonb_build_object('url', 'https://user:pass@hooks.example.com/in/' || i, 'body', jsonb_build_object('job', i))
    END,
    (ARRAY['30 2 * * *', '*/5 * * * *', '0 9 * * 1-5', '15 * * * *', '@every 30s', '0 0 1 * *'])[1 + i %% 6],
    (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[1 + i %% 4],
    i %% 50 = 0,
    now() - interval '1 minute' * (100000 - i),
    now() - interval '1 minute' * (100000 - i),
    CASE WHEN i %% 50 = 0 THEN NULL ELSE now() + interval '1 second' * (i %% 86400) END
FROM generate_series(1, 100000) AS i;
ALTER TABLE jobs ENABLE TRIGGER USER;

DROP INDEX runs_status_id_idx, runs_pending_idx, runs_job_id_status_id_idx, runs_scheduled_at_idx,
    runs_job_id_id_status_idx;
ALTER TABLE runs DROP CONSTRAINT runs_job_slot_key;
INSERT INTO runs (job_id, status, trigger, attempts, retry_count, scheduled_at, created_at, started_at,
                  completed_at, next_attempt_at, output, error)
SELECT
    CASE WHEN i %% 10 = 0 THEN 1 ELSE 1 + i %% 100000 END,
    s.status,
    CASE WHEN i %% 20 = 0 THEN 'manual' ELSE 'schedule' END,
    CASE WHEN s.status = 'queued' THEN 0 ELSE 1 + i %% 3 END,
    CASE WHEN s.status = 'queued' THEN 0 ELSE i %% 3 END,
    t.at, t.at,
    CASE WHEN s.status = 'queued' THEN NULL ELSE t.at + interval '1 second' END,
    CASE WHEN s.status IN ('completed', 'permanently_failed') THEN t.at + interval '1 second' * (1 + i %% 5) END,
    CASE WHEN s.status = 'failed' THEN t.at + interval '2 seconds' END,
    CASE WHEN s.status = 'completed' THEN 'HTTP 200 OK: ' || repeat('{"ok":true} ', 1 + i %% 8) ELSE '' END,
    CASE WHEN s.status IN ('failed', 'permanently_failed') THEN 'POST https://hooks.example.com/in/7: HTTP 503 Service Unavailable' ELSE '' END
FROM generate_series(1, %[1]d) AS i
CROSS JOIN LATERAL (SELECT now() - interval '1 millisecond' * (2592000000::bigint / %[1]d) * (%[1]d - i) AS at) AS t
CROSS JOIN LATERAL (SELECT CASE
    WHEN i > %[1]d - 10 AND i %% 2 = 0 THEN 'running'
    WHEN i > %[1]d - 20 THEN 'queued'
    WHEN i %% 100 < 85 THEN 'completed'
    WHEN i %% 100 < 93 THEN 'permanently_failed'
    WHEN i %% 100 < 97 THEN 'failed'
    WHEN i %% 100 < 99 THEN 'queued'
    ELSE 'running' END AS status) AS s;
ALTER TABLE runs ADD CONSTRAINT runs_job_slot_key UNIQUE (job_id, scheduled_at);
CREATE INDEX runs_status_id_idx ON runs (status, id);
CREATE INDEX runs_pending_idx ON runs (status, published_at) WHERE status IN ('queued', 'running', 'failed');
CREATE INDEX runs_job_id_status_id_idx ON runs (job_id, status, id);
CREATE INDEX runs_scheduled_at_idx ON runs (scheduled_at) INCLUDE (status);
CREATE INDEX runs_job_id_id_status_idx ON runs (job_id, id) INCLUDE (status);

INSERT INTO run_attempts (run_id, attempt, started_at, finished_at, outcome, output, error)
SELECT id, attempts, started_at, COALESCE(completed_at, started_at + interval '1 second'),
    CASE status WHEN 'completed' THEN 'completed' WHEN 'permanently_failed' THEN 'permanently_failed' ELSE 'failed' END,
    output, error
FROM runs WHERE id > %[1]d - 1000000 AND attempts > 0 AND status IN ('completed', 'permanently_failed', 'failed');

INSERT INTO job_hourly_stats (job_id, hour, completed, failed)
SELECT job_id, date_trunc('hour', completed_at), count(*) FILTER (WHERE status = 'completed'),
    count(*) FILTER (WHERE status <> 'completed')
FROM runs
WHERE completed_at > now() - interval '7 days' AND status IN ('completed', 'permanently_failed')
GROUP BY 1, 2;
INSERT INTO job_alert_state (job_id, consecutive_failures, failing, episode)
SELECT id, 3, true, 1 FROM jobs WHERE id %% 7 = 0;

INSERT INTO channels (name, type, config, is_default)
SELECT 'Channel ' || i, 'webhook', jsonb_build_object('url', 'https://hooks.example.com/alerts/' || i), i = 1
FROM generate_series(1, 20) AS i;
UPDATE jobs SET alert_channels = ARRAY[1, 2]::bigint[], alert_after = 3 WHERE id %% 3 = 0;
INSERT INTO notices (channel_id, job_id, run_id, event, episode, status, attempts, sent_at)
SELECT 1, 1 + i %% 100000, NULL, CASE WHEN i %% 2 = 0 THEN 'job.failing' ELSE 'job.recovered' END, i, 'sent', 1, now()
FROM generate_series(1, 100000) AS i;
`

// BenchmarkDashboardAtScale measures every dashboard page and poll against 100,000 jobs and
// 10,000,000 runs, health columns included: server time per request (ms/op, and the slowest single
// request as max-ms) and the size of the answer (resp-bytes). Each must stay under 50 ms and 100 KB.
// Seeding takes a few minutes. Run it with
//
//	go test ./handlers/ -run '^$' -bench BenchmarkDashboardAtScale -benchtime 200x
func BenchmarkDashboardAtScale(b *testing.B) {
	pool := dbtest.NewPool(b)
	ctx := context.Background()
	start := time.Now()
	if _, err := pool.Exec(ctx, fmt.Sprintf(scaleSeed, scaleRuns)); err != nil {
		b.Fatalf("seed: %v", err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	b.Logf("seeded 100,000 jobs and %d runs in %s", scaleRuns, time.Since(start).Round(time.Second))

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
		{"JobWith1MRuns", "/jobs/1", false},
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
		{"RunsOfBigJobPermanentlyFailed", "/runs?job_id=1&status=permanently_failed", false},
		{"Run", "/runs/9999000", false},
		{"RunOld", "/runs/5000000", false},
		{"Channels", "/channels", false},
		{"ChannelWith50kDeliveries", "/channels/1", false},
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
