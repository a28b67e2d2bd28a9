package worker

import (
	"context"
	"errors"
	"time"

	"github.com/sethvargo/go-retry"
)

// Held counts the due slots held for the database, for /readyz and /metrics.
func (d *Dispatcher) Held() int { return d.held.size() }

// NeedsCatchup reports whether every held slot is stored but some jobs were left to a catch-up
// (the backlog was full, or the outage outlasted the catch-up window).
func (d *Dispatcher) NeedsCatchup() bool { return d.held.size() == 0 && d.held.needsCatchup() }

// CaughtUp tells the dispatcher that a catch-up has decided about the slots up to until, so that
// the jobs left to it are dispatched as usual again, unless a slot of theirs came later.
func (d *Dispatcher) CaughtUp(until time.Time) { d.held.caughtUp(until) }

// LeftToCatchupUntil is, while jobs are left to a catch-up, the latest of the slots left out and
// the moments they were, else the zero time. The scheduler fires ahead, so it may be a moment
// ahead of now; a catch-up that is to end the refusals must decide about the slots up to it.
func (d *Dispatcher) LeftToCatchupUntil() time.Time { return d.held.refusedThrough() }

// HandOver leaves to the catch-up every job that has a slot held since before cutoff: an outage
// that outlasted the catch-up window is the job's policy to decide.
func (d *Dispatcher) HandOver(cutoff time.Time) {
	if n := d.held.refuseOlder(cutoff); n > 0 {
		d.logger.Warn("Held due slots older than the catch-up window are left to the catch-up", "slots", n)
	}
}

// unreachable reports whether a store failed for want of the database: a transient error, or no
// answer within storeTimeout.
func unreachable(err error) bool {
	return transient(err) || errors.Is(err, context.DeadlineExceeded)
}

// hold keeps slots that could not be stored yet; err is why, if the database refused them.
func (d *Dispatcher) hold(batch []due, err error) {
	refused := d.held.add(batch)
	if err != nil {
		d.logger.Warn("Database unreachable; holding due slots until it is back", "error", err,
			"slots", len(batch), "held", d.held.size())
	}
	if refused > 0 {
		d.logger.Error("Too many due slots held; the catch-up decides about the rest of their jobs",
			"refused", refused, "held", d.held.size())
	}
}

// flushLoop stores held slots whenever there are some, until ctx is done.
func (d *Dispatcher) flushLoop(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if d.held.size() > 0 {
				d.flush(ctx)
			}
		}
	}
}

// flush stores the held slots, oldest first, a batch at a time, waiting out the database with
// backoff, until none is held or ctx is done.
func (d *Dispatcher) flush(ctx context.Context) {
	backoff := retry.WithCappedDuration(2*time.Second, retry.NewExponential(100*time.Millisecond))
	_ = retry.Do(ctx, backoff, func(ctx context.Context) error {
		for batch := d.held.oldest(dispatchBatch); len(batch) > 0; batch = d.held.oldest(dispatchBatch) {
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			err := d.store(sctx, batch)
			cancel()
			if err != nil && unreachable(err) && ctx.Err() == nil {
				return retry.RetryableError(err)
			}
			if err != nil {
				// As for a batch never held: next_run_at stays behind and the catch-up decides.
				d.logger.Error("Insert held due runs failed", "error", err, "runs", len(batch))
			} else {
				d.logger.Info("Stored held due slots", "slots", len(batch), "still_held", d.held.size()-len(batch))
			}
			d.held.remove(batch)
		}
		return nil
	})
}
