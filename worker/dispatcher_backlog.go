package worker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sethvargo/go-retry"
)

// maxBacklog bounds the due slots the leader keeps in memory while the database is out of reach:
// about 13 MB, 33 minutes of 50 jobs every second.
const maxBacklog = 100_000

// slotKey is a run's identity before it has an id: its job and its slot.
type slotKey struct {
	jobID int64
	slot  time.Time
}

// backlog holds the due slots that could not be stored, each once, to be inserted oldest first
// when the database is back. It never loses a slot in silence: a slot it cannot hold (it is full)
// is refused, and so is every later slot of the same job until a catch-up has run, so that the
// job's next_run_at in the database stays at its first slot not stored. The catch-up then applies
// the job's policy from there and records what it does not run.
type backlog struct {
	mu      sync.Mutex
	max     int
	slots   []due
	keys    map[slotKey]bool
	refused map[int64]bool
	// refusedAt is the latest of the times slots were refused or left out and of those slots
	// themselves, which may come before their time (the scheduler fires ahead).
	refusedAt time.Time
}

func newBacklog(max int) *backlog {
	return &backlog{max: max, keys: map[slotKey]bool{}, refused: map[int64]bool{}}
}

// add keeps the slots not already kept, unless their job is refused or the backlog is full, and
// returns how many it refused.
func (b *backlog) add(batch []due) (refused int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range batch {
		k := slotKey{d.jobID, d.slot}
		switch {
		case b.keys[k]:
		case b.refused[d.jobID] || len(b.slots) >= b.max:
			b.refused[d.jobID] = true
			b.noteRefused(d.slot)
			refused++
		default:
			b.keys[k] = true
			b.slots = append(b.slots, d)
		}
	}
	return refused
}

// oldest returns up to n kept slots, oldest first, without removing them.
func (b *backlog) oldest(n int) []due {
	b.mu.Lock()
	defer b.mu.Unlock()
	slices.SortStableFunc(b.slots, func(x, y due) int { return x.slot.Compare(y.slot) })
	return slices.Clone(b.slots[:min(n, len(b.slots))])
}

// remove forgets slots that have been stored.
func (b *backlog) remove(stored []due) {
	b.mu.Lock()
	defer b.mu.Unlock()
	gone := map[slotKey]bool{}
	for _, d := range stored {
		gone[slotKey{d.jobID, d.slot}] = true
		delete(b.keys, slotKey{d.jobID, d.slot})
	}
	b.slots = slices.DeleteFunc(b.slots, func(d due) bool { return gone[slotKey{d.jobID, d.slot}] })
}

// reset forgets every kept slot and refusal, and returns how many slots it forgot.
func (b *backlog) reset() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.slots)
	b.slots = nil
	clear(b.keys)
	clear(b.refused)
	return n
}

// size is the number of kept slots.
func (b *backlog) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.slots)
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
