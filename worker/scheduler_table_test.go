package worker

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/workertest"
)

// The minute's check reads every job again only when the jobs' digest disagrees with the
// scheduler's, and then finds every change whose notification it missed: a job made, paused,
// edited or deleted.
func TestTheDigestFindsChangesWhoseNotificationsWereMissed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	q := sqlcgen.New(pool)
	h := &harness{t: t, pool: pool, q: q}
	var ids []int64
	for range 4 {
		ids = append(ids, h.insertJob(jobOpts{cron: "*/5 * * * *"}).ID)
	}
	h.insertJob(jobOpts{cron: "0 * * * *", paused: true})
	s := NewScheduler(pool, NewDispatcher(nil, nil, slog.New(slog.DiscardHandler)), 0, workertest.Logger(t))
	s.reset(ctx)
	if err := s.resync(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(wantRead bool) {
		t.Helper()
		before := s.pass
		if err := s.check(ctx); err != nil {
			t.Fatal(err)
		}
		if read := s.pass != before; read != wantRead {
			t.Fatalf("the check read every job: %v, want %v", read, wantRead)
		}
	}
	check(false)

	// Changes made with the trigger quiet, as an import makes them, and no notification after.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := sqlcgen.New(tx).JobQuietNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO jobs (name, type, payload, cron, timezone) VALUES ('quiet', 'ping', '{}', '0 0 * * *', 'UTC')`); err != nil {
		t.Fatal(err)
	}
	for i, stmt := range []string{
		`UPDATE jobs SET paused = true, updated_at = now() WHERE id = $1`,
		`UPDATE jobs SET cron = '0 0 * * *', updated_at = now() WHERE id = $1`,
		`DELETE FROM jobs WHERE id = $1`,
	} {
		if _, err := tx.Exec(ctx, stmt, ids[i]); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	check(true)
	s.mu.Lock()
	_, paused := s.idle[ids[0]]
	edited := s.entries[ids[1]]
	_, deleted := s.entries[ids[2]]
	n := len(s.entries)
	s.mu.Unlock()
	if !paused || edited == nil || deleted || n != 3 {
		t.Fatalf("after the check: paused job idle %v, edited job scheduled %v, deleted job scheduled %v, %d scheduled (want true, true, false, 3)",
			paused, edited != nil, deleted, n)
	}
	if next := edited.next; next.Minute() != 0 || next.Hour() != 0 {
		t.Errorf("the edited job's next slot is %s, want a midnight", next)
	}
	check(false)
}

// The scheduler reads its jobs once it listens, so the first LISTEN asks for no full read: a job
// made after it is heard by its id. A LISTEN made again after the connection broke asks for one,
// since what changed meanwhile was not heard.
func TestListeningAsksForAFullReadOnlyAfterABreak(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := dbtest.NewPool(t)
	h := &harness{t: t, pool: pool, q: sqlcgen.New(pool)}
	s := NewScheduler(pool, nil, 0, workertest.Logger(t))
	changed, listening, done := make(chan int64, 16), make(chan struct{}), make(chan struct{})
	go func() { defer close(done); s.keepListening(ctx, changed, listening) }()
	defer func() { cancel(); <-done }()
	<-listening
	job := h.insertJob(jobOpts{})
	if got := <-changed; got != job.ID {
		t.Fatalf("first change heard: %d, want the new job %d (a full read is %d)", got, job.ID, allJobs)
	}
	workertest.WaitFor(t, 10*time.Second, "the listening connection broken", func() bool {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%LISTEN cronflow_jobs%'`).Scan(&n)
		return err == nil && n > 0
	})
	select {
	case got := <-changed:
		if got != allJobs {
			t.Fatalf("after the break: %d, want a full read (%d)", got, allJobs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no full read asked for after the listening connection broke")
	}
}
