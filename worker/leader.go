// Package worker runs the run lifecycle: the leader election, the scheduler that turns cron
// firings into due slots, the dispatcher that stores and publishes runs, the reaper that publishes
// what was lost, and the consumers whose runner executes, retries and records every run.
package worker

import (
	"context"
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

// watchSession returns when ctx is done or the lock's session fails. The lock holds only while its
// session does; it is checked often enough to step down quickly.
func (l *Leader) watchSession(ctx context.Context, conn *pgxpool.Conn) {
	check := time.NewTicker(min(l.interval, 2*time.Second))
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-check.C:
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				l.logger.Error("Lost the scheduler lock's database session; stepping down", "error", err)
				return
			}
		}
	}
}

// term tries once for the lock and, if it gets it, leads until the lock's session fails or ctx ends.
func (l *Leader) term(ctx context.Context, lead func(ctx context.Context) error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.logger.Warn("Leader election: no database connection", "error", err)
		}
		return
	}
	q := sqlcgen.New(conn)
	locked, err := q.LeaderTryLock(ctx, l.key)
	if err != nil || !locked {
		conn.Release()
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

	l.watchSession(ctx, conn)
	cancel()
	<-done
	l.leading.Store(false)
	if ctx.Err() != nil {
		uctx, ucancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = q.LeaderUnlock(uctx, l.key)
		ucancel()
		conn.Release()
	} else {
		// The session is suspect: close it, which frees the lock if PostgreSQL still thinks it is held.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}
	l.logger.Info("Stopped leading the scheduler")
}
