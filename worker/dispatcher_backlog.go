package worker

import (
	"slices"
	"sync"
	"time"
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

// filter returns the slots of batch whose job is not refused, and the number left out.
func (b *backlog) filter(batch []due) ([]due, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.refused) == 0 {
		return batch, 0
	}
	kept := batch[:0:0]
	for _, d := range batch {
		if !b.refused[d.jobID] {
			kept = append(kept, d)
			continue
		}
		// Left out is refused too: the catch-up must reach past this slot before the refusals end.
		b.noteRefused(d.slot)
	}
	return kept, len(batch) - len(kept)
}

// noteRefused moves refusedAt on past a slot refused or left out now.
func (b *backlog) noteRefused(slot time.Time) {
	for _, t := range []time.Time{time.Now(), slot} {
		if t.After(b.refusedAt) {
			b.refusedAt = t
		}
	}
}

// refuseOlder hands to the catch-up every job that has a kept slot older than cutoff, with all of
// its kept slots: an outage that outlasted the catch-up window is the catch-up's to decide. It
// returns the number of slots taken out.
func (b *backlog) refuseOlder(cutoff time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := map[int64]bool{}
	for _, d := range b.slots {
		if d.slot.Before(cutoff) {
			old[d.jobID] = true
		}
	}
	if len(old) == 0 {
		return 0
	}
	n := len(b.slots)
	b.slots = slices.DeleteFunc(b.slots, func(d due) bool {
		if old[d.jobID] {
			delete(b.keys, slotKey{d.jobID, d.slot})
			return true
		}
		return false
	})
	for id := range old {
		b.refused[id] = true
	}
	b.refusedAt = time.Now()
	return n - len(b.slots)
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

// needsCatchup reports whether jobs were refused, which only a catch-up puts right.
func (b *backlog) needsCatchup() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.refused) > 0
}

// refusedThrough is refusedAt while jobs are refused, else the zero time.
func (b *backlog) refusedThrough() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.refused) == 0 {
		return time.Time{}
	}
	return b.refusedAt
}

// caughtUp takes back the refusals after a catch-up that decided about the slots up to until, with
// nothing kept, so that the jobs' next slots are stored as usual again. A slot refused or left out
// after until lies beyond what the catch-up looked at: then the refusals stay for the next one.
func (b *backlog) caughtUp(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.slots) == 0 && b.refusedAt.Before(until) {
		clear(b.refused)
	}
}
