package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// The reaper's timing. A queued run unpublished for unpublishedAfter is published (its publish
// failed); a retry overdue by retryOverdueAfter is published again (a broker restart can drop a
// message as it expires from its retry queue); any other message not acted on for staleAfter is
// presumed lost and published again. A second message for a run is harmless: the claim lets only
// one of them execute it.
const (
	reapEvery         = 2 * time.Second
	unpublishedAfter  = 5 * time.Second
	retryOverdueAfter = 30 * time.Second
	staleAfter        = 15 * time.Minute
	reapBatch         = 1000
)

// Reaper republishes runs and notices whose message may never arrive. It runs on the leader only.
type Reaper struct {
	q      *sqlcgen.Queries
	out    *Outbox
	logger *slog.Logger
	// RetryOverdueAfter is how late a retry may be before it is published again.
	RetryOverdueAfter time.Duration
	// outage tells the reaper's own database outages (reaper_outage.go).
	outage outageGrace
}

// NewReaper returns a reaper that finds runs and notices through q and publishes them through out.
func NewReaper(q *sqlcgen.Queries, out *Outbox, logger *slog.Logger) *Reaper {
	return &Reaper{q: q, out: out, logger: logger, RetryOverdueAfter: retryOverdueAfter}
}

// Run reaps every few seconds until ctx is done, then returns nil.
func (r *Reaper) Run(ctx context.Context) error {
	tick := time.NewTicker(reapEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			r.reap(ctx)
		}
	}
}

// orphanedAt is what counts as orphaned at now, for runs and notices alike (the notices' query
// takes the same fields): never published, stale while running, or overdue for a retry.
func (r *Reaper) orphanedAt(now time.Time) sqlcgen.RunListOrphanedParams {
	return sqlcgen.RunListOrphanedParams{
		UnpublishedBefore:  now.Add(-unpublishedAfter),
		StaleBefore:        now.Add(-staleAfter),
		RetryOverdueBefore: now.Add(-r.RetryOverdueAfter),
		LeaseExpiredBefore: r.outage.leaseExpiredBefore(now),
		MaxRows:            reapBatch,
	}
}

// reap publishes what is orphaned. Each list is chosen with the parameters of the moment it is
// made; a list that turns out to be the first to reach the database after an outage is dropped
// (see outageGrace), and the next reap lists again with the grace that outage calls for.
func (r *Reaper) reap(ctx context.Context) {
	if !r.reapNotices(ctx) {
		return
	}
	// A run a later one replaced (overlap: replace) whose consumer died before it stopped has
	// nobody left to record it: it is settled here, as cancelled.
	cctx, cancel := context.WithTimeout(ctx, reapTimeout)
	if n, err := r.q.RunCancelAbandoned(cctx); err != nil && ctx.Err() == nil {
		r.logger.Warn("Cancel abandoned runs failed", "error", err)
	} else if n > 0 {
		r.logger.Info("Abandoned runs cancelled", "runs", n)
	}
	cancel()
	lctx, cancel := context.WithTimeout(ctx, reapTimeout)
	rows, err := r.q.RunListOrphaned(lctx, r.orphanedAt(time.Now()))
	cancel()
	if r.outage.listed(time.Now(), err == nil, r.logger) {
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("List orphaned runs failed", "error", err)
		}
		return
	}
	if len(rows) == 0 {
		return
	}
	msgs := make([]runmsg.Message, len(rows))
	for i, row := range rows {
		msgs[i] = runmsg.Message{RunID: row.ID, JobID: row.JobID}
	}
	r.logger.Info("Publishing orphaned runs", "runs", len(msgs))
	r.out.Publish(ctx, msgs)
}

// reapNotices publishes notices whose message may never arrive, as reap does for runs. It
// reports false when its list was dropped as the first after an outage.
func (r *Reaper) reapNotices(ctx context.Context) bool {
	lctx, cancel := context.WithTimeout(ctx, reapTimeout)
	ids, err := r.q.NoticeListOrphaned(lctx, sqlcgen.NoticeListOrphanedParams(r.orphanedAt(time.Now())))
	cancel()
	if r.outage.listed(time.Now(), err == nil, r.logger) {
		return false
	}
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("List orphaned notices failed", "error", err)
		}
		return true
	}
	if len(ids) > 0 {
		r.logger.Info("Publishing orphaned notices", "notices", len(ids))
		r.out.PublishNotices(ctx, ids)
	}
	return true
}
