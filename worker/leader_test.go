package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/workertest"
)

// leaderOn runs a leader on the database at url until the test ends, and counts its terms.
func leaderOn(t *testing.T, url string) (*Leader, *pgxpool.Pool, *atomic.Int32) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLeader(pool, 200*time.Millisecond, workertest.Logger(t))
	terms := &atomic.Int32{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, func(ctx context.Context) error { terms.Add(1); <-ctx.Done(); return nil })
	}()
	t.Cleanup(func() { cancel(); <-done; pool.Close() })
	return l, pool, terms
}

func TestALeaderWaitsOutADatabaseOutageAndKeepsLeading(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewDatabase(t)
	proxied, proxy := dbtest.ThroughProxy(t, dbURL)
	l, _, terms := leaderOn(t, proxied)
	workertest.WaitFor(t, 10*time.Second, "a leader", l.Leading)

	proxy.Stop()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if !l.Leading() {
			t.Fatal("the leader stepped down while nobody could reach the database")
		}
	}
	proxy.Start()

	// It holds the lock again: another session cannot take it.
	other, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	workertest.WaitFor(t, 10*time.Second, "the lock held again", func() bool {
		locked, err := sqlcgen.New(other).LeaderTryLock(context.Background(), LeaderLockKey)
		if locked {
			_, _ = sqlcgen.New(other).LeaderUnlock(context.Background(), LeaderLockKey)
		}
		return err == nil && !locked
	})
	if !l.Leading() || terms.Load() != 1 {
		t.Errorf("leading %v after %d terms; want one term, never interrupted", l.Leading(), terms.Load())
	}
}

func TestALeaderCutOffWhileAnotherTookTheLockStepsDown(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewDatabase(t)
	proxied, proxy := dbtest.ThroughProxy(t, dbURL)
	a, _, _ := leaderOn(t, proxied)
	workertest.WaitFor(t, 10*time.Second, "a leads", a.Leading)
	b, _, _ := leaderOn(t, dbURL)

	// a's session is gone, so the lock is free: b, which still reaches the database, takes it.
	proxy.Stop()
	workertest.WaitFor(t, 10*time.Second, "b leads", b.Leading)
	proxy.Start()
	workertest.WaitFor(t, 10*time.Second, "a steps down", func() bool { return !a.Leading() })
	if !b.Leading() {
		t.Error("b stopped leading")
	}
}
