package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/workertest"
)

// seedRunHistory gives each run of a job an attempt and a notice, as a failing job's runs have.
func seedRunHistory(t *testing.T, db sqlcgen.DBTX, jobID int64) {
	t.Helper()
	for _, sql := range []string{
		`INSERT INTO run_attempts (run_id, attempt, started_at, finished_at, outcome)
		 SELECT id, 1, scheduled_at, scheduled_at, 'completed' FROM runs WHERE job_id = $1`,
		`INSERT INTO channels (name, type, config) SELECT 'ops', 'webhook', '{"url": "http://127.0.0.1:1/"}'
		 WHERE NOT EXISTS (SELECT 1 FROM channels)`,
		`INSERT INTO notices (channel_id, job_id, run_id, event, episode, status)
		 SELECT (SELECT min(id) FROM channels), job_id, id, 'job.failing', id, 'sent' FROM runs WHERE job_id = $1`,
	} {
		args := []any{jobID}
		if !strings.Contains(sql, "$1") {
			args = nil
		}
		if _, err := db.Exec(context.Background(), sql, args...); err != nil {
			t.Fatalf("seed history: %v", err)
		}
	}
}

// countRows counts the rows of a query's answer.
func countRows(t *testing.T, db sqlcgen.DBTX, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM ("+sql+") AS x", args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", sql, err)
	}
	return n
}

func TestADeletedJobIsGoneAtOnceAndItsRunsAreDeletedByTheNextPurger(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	q := sqlcgen.New(pool)
	ctx := context.Background()
	doomed, kept := seedJob(t, q), seedJob(t, q)
	seedRuns(t, pool, doomed.ID, "completed", time.Hour, purgeBatch*2+7)
	seedRuns(t, pool, doomed.ID, "queued", 0, 3)
	seedRuns(t, pool, kept.ID, "completed", time.Hour, 5)
	seedRunHistory(t, pool, doomed.ID)
	seedRunHistory(t, pool, kept.ID)
	rows, _ := pool.Query(ctx, `SELECT id FROM runs WHERE job_id = $1 AND status = 'queued'`, doomed.ID)
	queued, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(queued) != 3 {
		t.Fatalf("queued runs: %v, %v", queued, err)
	}

	if n, err := q.JobDelete(ctx, doomed.ID); err != nil || n != 1 {
		t.Fatalf("delete job: %d, %v", n, err)
	}
	t.Run("TheJobIsGoneAtOnce", func(t *testing.T) {
		if _, err := q.JobGet(ctx, doomed.ID); !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("JobGet after delete: %v, want no rows", err)
		}
	})
	t.Run("ItsQueuedRunsAreNeverClaimed", func(t *testing.T) {
		claims, err := q.RunClaim(ctx, sqlcgen.RunClaimParams{Ids: queued, LeaseMarginMs: 1000})
		if err != nil || len(claims) != 0 {
			t.Fatalf("claimed %d runs of a deleted job, %v", len(claims), err)
		}
	})

	// A process that died while deleting left everything to do in the database; a new purger
	// (as the next leader starts) finishes it.
	p := NewPurger(q, time.Minute, workertest.Logger(t))
	if err := p.Pass(ctx); err != nil {
		t.Fatalf("pass: %v", err)
	}
	for name, sql := range map[string]string{
		"runs":     `SELECT 1 FROM runs WHERE job_id = $1`,
		"attempts": `SELECT 1 FROM run_attempts AS a LEFT JOIN runs AS r ON r.id = a.run_id WHERE r.id IS NULL OR r.job_id = $1`,
		"notices":  `SELECT 1 FROM notices WHERE job_id = $1 OR run_id IS NULL`,
		"key":      `SELECT 1 FROM job_keys WHERE id = $1`,
	} {
		if n := countRows(t, pool, sql, doomed.ID); n != 0 {
			t.Errorf("%s of the deleted job left: %d", name, n)
		}
	}
	if n := countRows(t, pool, `SELECT 1 FROM runs JOIN run_attempts ON run_id = id JOIN notices ON notices.run_id = runs.id WHERE runs.job_id = $1`, kept.ID); n != 5 {
		t.Errorf("the other job's runs with their attempts and notices: %d, want 5", n)
	}
	if got := p.purged.Load(); got != purgeBatch*2+10 {
		t.Errorf("purged counter = %d, want %d", got, purgeBatch*2+10)
	}
}

// fullCount counts every run by status, the slow way that run_counts replaces.
func fullCount(t *testing.T, db sqlcgen.DBTX) map[runstatus.Status]int64 {
	t.Helper()
	rows, _ := db.Query(context.Background(), `SELECT status, count(*) FROM runs GROUP BY status`)
	out := map[runstatus.Status]int64{}
	var s runstatus.Status
	var n int64
	_, err := pgx.ForEachRow(rows, []any{&s, &n}, func() error { out[s] = n; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertCountsExact checks that the counters equal a full count.
func assertCountsExact(t *testing.T, q *sqlcgen.Queries, db sqlcgen.DBTX, when string) {
	t.Helper()
	counted, err := q.RunCountByStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[runstatus.Status]int64{}
	for _, c := range counted {
		got[c.Status] = c.Runs
	}
	want := fullCount(t, db)
	if len(got) != len(want) {
		t.Fatalf("%s: counters %v, full count %v", when, got, want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Fatalf("%s: counters %v, full count %v", when, got, want)
		}
	}
}

func TestRunCountersEqualAFullCountAfterAnyMixOfChanges(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	q := sqlcgen.New(pool)
	ctx := context.Background()
	p := NewPurger(q, time.Minute, workertest.Logger(t))
	a, b, c := seedJob(t, q), seedJob(t, q), seedJob(t, q)
	assertCountsExact(t, q, pool, "empty")

	seedRuns(t, pool, a.ID, "completed", 40*day, 300)
	seedRuns(t, pool, a.ID, "permanently_failed", 100*day, 40)
	seedRuns(t, pool, b.ID, "queued", 0, 50)
	seedRuns(t, pool, c.ID, "completed", time.Hour, 2000)
	assertCountsExact(t, q, pool, "after inserts")

	// The worker's own statements: a claim, results, a scheduled insert that meets an existing slot.
	var ids []int64
	rows, _ := pool.Query(ctx, `SELECT id FROM runs WHERE job_id = $1 ORDER BY id LIMIT 20`, b.ID)
	if ids, _ = pgx.CollectRows(rows, pgx.RowTo[int64]); len(ids) != 20 {
		t.Fatalf("queued runs: %v", ids)
	}
	claims, err := q.RunClaim(ctx, sqlcgen.RunClaimParams{Ids: ids, LeaseMarginMs: 60000})
	if err != nil || len(claims) != 20 {
		t.Fatalf("claim: %d, %v", len(claims), err)
	}
	assertCountsExact(t, q, pool, "after a claim")
	res := sqlcgen.RunRecordResultsParams{}
	for i, cl := range claims[:15] {
		res.Ids = append(res.Ids, cl.ID)
		res.Attempts = append(res.Attempts, cl.Attempts)
		res.Statuses = append(res.Statuses, []string{"completed", "failed", "permanently_failed"}[i%3])
		res.Outputs, res.Errors, res.RetryDelaysMs = append(res.Outputs, ""), append(res.Errors, ""), append(res.RetryDelaysMs, 1000)
	}
	if _, err := q.RunRecordResults(ctx, res); err != nil {
		t.Fatalf("record: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE runs SET status = 'missed' WHERE job_id = $1 AND status = 'queued' AND id % 2 = 0`, b.ID); err != nil {
		t.Fatal(err)
	}
	assertCountsExact(t, q, pool, "after results")
	if err := q.RunCountFold(ctx); err != nil {
		t.Fatal(err)
	}
	assertCountsExact(t, q, pool, "after a fold")
	var jobIDs []int64
	var ats []time.Time
	rows, _ = pool.Query(ctx, `SELECT job_id, scheduled_at FROM runs WHERE status = 'missed' LIMIT 3`)
	var j int64
	var at time.Time
	if _, err := pgx.ForEachRow(rows, []any{&j, &at}, func() error { jobIDs, ats = append(jobIDs, j), append(ats, at); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := q.RunInsertScheduled(ctx, sqlcgen.RunInsertScheduledParams{JobIds: append(jobIDs, a.ID),
		ScheduledAts: append(ats, time.Now().Add(time.Minute))}); err != nil {
		t.Fatalf("insert scheduled: %v", err)
	}
	assertCountsExact(t, q, pool, "after a scheduled insert that takes missed slots")

	r := NewRetention(q, RetentionConfig{Completed: 30 * day, Failed: 90 * day, KeepPerJob: 5, Interval: time.Minute}, workertest.Logger(t))
	if deleted, err := r.Pass(ctx); err != nil || deleted["completed"] == 0 || deleted["failed"] == 0 {
		t.Fatalf("retention: %v, %v", deleted, err)
	}
	assertCountsExact(t, q, pool, "after retention")

	if _, err := q.JobDelete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	assertCountsExact(t, q, pool, "after a job delete, before its runs are deleted")
	if err := p.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	assertCountsExact(t, q, pool, "after its runs are deleted and the counters folded")
	if n := countRows(t, pool, `SELECT 1 FROM run_counts`); n > len(runstatus.All()) {
		t.Errorf("after a fold, %d counter rows, want one per status at most", n)
	}
	if _, err := pool.Exec(ctx, `TRUNCATE runs CASCADE`); err != nil {
		t.Fatal(err)
	}
	assertCountsExact(t, q, pool, "after a truncate")
}
