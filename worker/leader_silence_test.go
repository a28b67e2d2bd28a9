package worker

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestALeaderWhoseDatabaseFellSilentStepsDownOnceAnotherTookTheLock(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewDatabase(t)
	proxied, proxy := dbtest.ThroughProxy(t, dbURL)
	a, _, _ := leaderOn(t, proxied)
	workertest.WaitFor(t, 10*time.Second, "a leads", a.Leading)
	b, _, _ := leaderOn(t, dbURL)

	// Silent, not closed: PostgreSQL still sees a's session, which keeps the lock from b. a waits
	// it out on its own deadlines, leading on.
	proxy.Silence()
	defer proxy.Resume()
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if b.Leading() {
			t.Fatal("b took the lock while a's session still held it")
		}
	}
	// The server gives up on a's session, as its keepalives do after a real partition (here the
	// proxy answers for a, so the test ends the session itself): the lock is free, and b takes it.
	admin, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ended bool
	if err := admin.QueryRow(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&ended); err != nil || !ended {
		t.Fatalf("end a's lock session: %v", err)
	}
	workertest.WaitFor(t, 10*time.Second, "b leads", b.Leading)
	if !a.Leading() {
		t.Log("a stepped down before the silence ended")
	}
	// When a hears the database again, it finds the lock taken and steps down; b leads on.
	proxy.Resume()
	workertest.WaitFor(t, 15*time.Second, "a steps down", func() bool { return !a.Leading() })
	if !b.Leading() {
		t.Error("b stopped leading")
	}
}
