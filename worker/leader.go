package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Leader elects one scheduler among all replicas with a PostgreSQL session advisory lock. The lock
// lives as long as the session that took it: when the leader dies, PostgreSQL frees it and another
// replica takes it at its next try. Even while two replicas both believe they lead, the (job, slot)
// key on runs keeps a slot from getting a second run.
type Leader struct {
	pool     *pgxpool.Pool
	key      int64
	interval time.Duration
	logger   *slog.Logger
	leading  atomic.Bool
}

// LeaderLockKey is the advisory lock key that the schedulers of one database compete for.
const LeaderLockKey = 0x63726f6e666c6f77 // "cronflow"

// NewLeader returns an election that tries for the lock every interval.
func NewLeader(pool *pgxpool.Pool, interval time.Duration, logger *slog.Logger) *Leader {
	return &Leader{pool: pool, key: LeaderLockKey, interval: interval, logger: logger}
}

// Leading reports whether this replica is the scheduler now.
func (l *Leader) Leading() bool { return l.leading.Load() }

// Run calls lead with a context that lives while this replica holds the lock, until ctx is done.
// When lead returns early (its database connection broke, say), it is called again while the lock
// is still held.
func (l *Leader) Run(ctx context.Context, lead func(ctx context.Context) error) {
	for ctx.Err() == nil {
		l.term(ctx, lead)
		select {
		case <-ctx.Done():
		case <-time.After(l.interval):
		}
	}
}

// errReadOnly is a lock session on a server that takes no writes (a demoted primary).
var errReadOnly = errors.New("the lock's session is on a read-only server")

// tryLock takes the lock on a session of its own, on a server that takes writes. It returns the
// session, or nil if another replica holds the lock, or the error that kept it from asking.
func (l *Leader) tryLock(ctx context.Context) (*pgxpool.Conn, error) {
	// A database host that is gone without refusing would hold the attempt for minutes.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	locked, err := sqlcgen.New(conn).LeaderTryLock(ctx, l.key)
	if err == nil && locked {
		err = l.check(ctx, conn)
	}
	if err != nil {
		l.drop(conn, err)
		return nil, err
	}
	if !locked {
		conn.Release()
		return nil, nil
	}
	return conn, nil
}

// check reports whether the lock's session is alive and on a server that takes writes.
func (l *Leader) check(ctx context.Context, conn *pgxpool.Conn) error {
	return checkWritable(ctx, conn)
}

// checkWritable reports whether a session is alive and on a server that takes writes.
func checkWritable(ctx context.Context, conn *pgxpool.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	writable, err := sqlcgen.New(conn).SessionWritable(ctx)
	if err == nil && !writable {
		err = errReadOnly
	}
	return err
}

// drop closes a lock session that failed, which frees the lock if PostgreSQL still holds it for
// us. A read-only server means the primary was demoted: every pooled connection is on it, so the
// pool lets them all go, and new ones find the writable host.
func (l *Leader) drop(conn *pgxpool.Conn, why error) {
	_ = conn.Conn().Close(context.Background())
	conn.Release()
	if errors.Is(why, errReadOnly) {
		l.pool.Reset()
	}
}

// hold keeps the lock until ctx is done, and returns its session then; or returns nil once another
// replica has the lock. The session is checked every 2 s. When it fails or turns read-only, a new
// one takes the lock again (on the new primary, after a failover) while the services keep running:
// a database outage is waited out by the leader, which keeps the slots that come due meanwhile,
// rather than handed to another replica, which could not reach the database either.
func (l *Leader) hold(ctx context.Context, conn *pgxpool.Conn) *pgxpool.Conn {
	tick := time.NewTicker(min(l.interval, 2*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return conn
		case <-tick.C:
		}
		if conn != nil {
			err := l.check(ctx, conn)
			if err == nil || ctx.Err() != nil {
				continue
			}
			l.logger.Error("Lost the scheduler lock's database session; taking the lock again", "error", err)
			l.drop(conn, err)
			conn = nil
		}
		c, err := l.tryLock(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				l.logger.Warn("Scheduler lock: database unreachable, scheduling on meanwhile", "error", err)
			}
		case c == nil:
			l.logger.Warn("Another replica took the scheduler lock; stepping down")
			return nil
		default:
			l.logger.Info("Took the scheduler lock again")
			conn = c
		}
	}
}

// term tries once for the lock and, if it gets it, leads until ctx ends or another replica leads.
func (l *Leader) term(ctx context.Context, lead func(ctx context.Context) error) {
	conn, err := l.tryLock(ctx)
	if err != nil || conn == nil {
		if err != nil && ctx.Err() == nil {
			l.logger.Warn("Leader election: no database connection", "error", err)
		}
		return
	}
	l.leading.Store(true)
	l.logger.Info("Became the scheduler leader")

	leadCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for leadCtx.Err() == nil {
			if err := lead(leadCtx); err != nil && leadCtx.Err() == nil {
				l.logger.Warn("Scheduler stopped, restarting", "error", err)
				select {
				case <-leadCtx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()

	conn = l.hold(ctx, conn)
	cancel()
	<-done
	l.leading.Store(false)
	if conn != nil {
		uctx, ucancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = sqlcgen.New(conn).LeaderUnlock(uctx, l.key)
		ucancel()
		conn.Release()
	}
	l.logger.Info("Stopped leading the scheduler")
}
