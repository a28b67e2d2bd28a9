package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// seedJob stores a job that never fires on its own.
func seedJob(t *testing.T, q *sqlcgen.Queries) sqlcgen.Job {
	t.Helper()
	next := time.Now().Add(time.Hour)
	j, err := q.JobInsert(context.Background(), sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest,
		Name: "kept", Type: "ping", Payload: json.RawMessage(`{"url": "https://example.com"}`), Cron: "0 0 1 1 *",
		Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, NextRunAt: &next,
	})
	if err != nil {
		t.Fatalf("insert job: %v", err)
	}
	return j
}

// seedRuns stores n runs of a job in a status, the newest of them age old, each a minute older than
// the next, oldest first (so that ids follow time). Finished runs finished a second after their slot.
func seedRuns(t *testing.T, db sqlcgen.DBTX, jobID int64, status string, age time.Duration, n int) {
	t.Helper()
	_, err := db.Exec(context.Background(), `
		INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, completed_at)
		SELECT $1, $2, 'schedule', 1, s.at,
		       CASE WHEN $2 IN ('completed', 'permanently_failed') THEN s.at + interval '1 second' END
		FROM generate_series(1, $4::int) AS i
		CROSS JOIN LATERAL (SELECT now() - $3::bigint * interval '1 second' - ($4 - i) * interval '1 minute' AS at) AS s
		ORDER BY i`, jobID, status, int64(age.Seconds()), n)
	if err != nil {
		t.Fatalf("seed %d %s runs: %v", n, status, err)
	}
}

// runCounts counts a job's runs by status.
func runCounts(t *testing.T, db sqlcgen.DBTX, jobID int64) map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT status, count(*) FROM runs WHERE job_id = $1 GROUP BY status`, jobID)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct {
		s string
		n int
	}, error) {
		var v struct {
			s string
			n int
		}
		return v, r.Scan(&v.s, &v.n)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range counts {
		out[c.s] = c.n
	}
	return out
}

const day = 24 * time.Hour

func TestRetentionDeletesOldRunsAndKeepsTheNewestOfEachJob(t *testing.T) {
	t.Parallel()
	tx := dbtest.Tx(t)
	q := sqlcgen.New(tx)
	busy, few, failing, young := seedJob(t, q), seedJob(t, q), seedJob(t, q), seedJob(t, q)
	seedRuns(t, tx, busy.ID, "completed", 40*day, 10)
	seedRuns(t, tx, busy.ID, "completed", time.Hour, 2)
	seedRuns(t, tx, few.ID, "completed", 40*day, 2)
	seedRuns(t, tx, failing.ID, "permanently_failed", 100*day, 5)
	seedRuns(t, tx, failing.ID, "failed", 100*day-time.Hour, 1)
	seedRuns(t, tx, failing.ID, "queued", 100*day-2*time.Hour, 1)
	seedRuns(t, tx, failing.ID, "permanently_failed", 60*day, 5)
	seedRuns(t, tx, young.ID, "completed", 20*day, 5)
	for _, age := range []time.Duration{400 * day, 300 * day} {
		if _, err := tx.Exec(context.Background(), `INSERT INTO audit_log (at, actor, action) VALUES (now() - $1::bigint * interval '1 day', 'test', 'job.update')`, int64(age/day)); err != nil {
			t.Fatal(err)
		}
	}

	r := NewRetention(q, RetentionConfig{Completed: 30 * day, Failed: 90 * day, KeepPerJob: 3, Interval: time.Minute}, workertest.Logger(t))
	deleted, err := r.Pass(context.Background())
	if err != nil {
		t.Fatalf("pass: %v", err)
	}
	if deleted["completed"] != 9 || deleted["failed"] != 5 || deleted["audit"] != 1 {
		t.Fatalf("deleted %v, want 9 completed, 5 failed, 1 audit entry", deleted)
	}
	for name, tc := range map[string]struct {
		job  sqlcgen.Job
		want map[string]int
	}{
		"ABusyJobKeepsItsNewestThreeWhateverTheirAge": {busy, map[string]int{"completed": 3}},
		"AJobWithFewerRunsThanKeptLosesNone":          {few, map[string]int{"completed": 2}},
		"FailedRunsLastLongerAndPendingOnesStay":      {failing, map[string]int{"permanently_failed": 5, "failed": 1, "queued": 1}},
		"YoungRunsStay":                               {young, map[string]int{"completed": 5}},
	} {
		t.Run(name, func(t *testing.T) {
			got := runCounts(t, tx, tc.job.ID)
			if len(got) != len(tc.want) {
				t.Fatalf("runs left = %v, want %v", got, tc.want)
			}
			for s, n := range tc.want {
				if got[s] != n {
					t.Errorf("runs left = %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("TheNewestOldRunOfTheBusyJobIsTheOneKept", func(t *testing.T) {
		runs, err := q.RunListByJob(context.Background(), sqlcgen.RunListByJobParams{JobID: busy.ID, BeforeID: 1 << 62, MaxRows: 10})
		if err != nil || len(runs) != 3 || time.Since(runs[2].ScheduledAt) < 40*day || time.Since(runs[2].ScheduledAt) > 40*day+time.Minute {
			t.Fatalf("runs kept: %+v, %v", runs, err)
		}
	})
	t.Run("ASecondPassFindsNothing", func(t *testing.T) {
		again, err := r.Pass(context.Background())
		if err != nil || again["completed"]+again["failed"]+again["audit"] != 0 {
			t.Fatalf("second pass deleted %v, %v", again, err)
		}
	})
}

func TestRetentionSkipsRowsOthersHoldInsteadOfWaiting(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	q := sqlcgen.New(pool)
	job := seedJob(t, q)
	seedRuns(t, pool, job.ID, "completed", 40*day, 5000)
	ctx := context.Background()

	// Another transaction holds one of the old runs, and has just made a run of the same job, as a
	// deletion of another row or a consumer might.
	held, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = held.Rollback(ctx) }()
	var heldID int64
	if err := held.QueryRow(ctx, `SELECT min(id) FROM runs WHERE job_id = $1`, job.ID).Scan(&heldID); err != nil {
		t.Fatal(err)
	}
	if _, err := held.Exec(ctx, `SELECT id FROM runs WHERE id = $1 FOR UPDATE`, heldID); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlcgen.New(held).RunInsertManual(ctx, job.ID); err != nil {
		t.Fatal(err)
	}

	r := NewRetention(q, RetentionConfig{Completed: 30 * day, Failed: 90 * day, KeepPerJob: 0, Interval: time.Minute}, workertest.Logger(t))
	passCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	deleted, err := r.Pass(passCtx)
	if err != nil {
		t.Fatalf("pass while a row is held: %v (it must skip the row, not wait for it)", err)
	}
	if deleted["completed"] != 4999 {
		t.Fatalf("deleted %d, want every old run but the held one (4999)", deleted["completed"])
	}
	if _, err := sqlcgen.New(held).RunGet(ctx, heldID); err != nil {
		t.Fatalf("the held run: %v", err)
	}
	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	deleted, err = r.Pass(ctx)
	if err != nil || deleted["completed"] != 1 {
		t.Fatalf("once released, the held run is deleted: %v, %v", deleted, err)
	}
	if got := runCounts(t, pool, job.ID); len(got) != 1 || got["queued"] != 1 {
		t.Fatalf("runs left = %v, want the new queued one", got)
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"1s": time.Second, "90s": 90 * time.Second, "15m": 15 * time.Minute,
		"12h": 12 * time.Hour, "30d": 30 * day, "365d": 365 * day} {
		if got, err := ParseAge(in, 365*day); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "0d", "-1d", "1.5d", "5dd", "1w", "1h30m", "366d", "30 d"} {
		if got, err := ParseAge(in, 365*day); err == nil {
			t.Errorf("ParseAge(%q) = %s, want an error", in, got)
		}
	}
}
