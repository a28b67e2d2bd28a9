package worker

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// What the dispatcher writes later. Two writes per stored batch need not be made before its runs
// execute, and are cheaper made together, in one statement for all the batches of a while:
//
//   - Where each job's schedule goes next (next_run_at) is read only by a catch-up, which leaves
//     the last seconds alone (it is for runs in flight), and by the dashboard. It is written every
//     notesEvery.
//   - A run the dispatcher publishes is claimed within milliseconds unless the consumers are
//     behind, and its claim records the publish (RunClaim). So a publish is noted, and once the note
//     is markAfter old the runs still waiting to be claimed are recorded as published: those the
//     reaper would otherwise publish again (unpublishedAfter, well above markAfter+notesEvery).
//     That saves a write for each run claimed within markAfter.
//
// Notes lost with their leader cost little: the next leader's catch-up finds that a slot already
// has its run, and a second message for a run is harmless, because the claim lets only one execute.
const (
	notesEvery = 500 * time.Millisecond
	markAfter  = 2 * time.Second
)

// dispatchNotes are the writes the dispatcher has put off.
type dispatchNotes struct {
	mu        sync.Mutex
	published sqlcgen.RunMarkPublishedLateParams
	next      map[int64]due
}

// addPublished notes that the broker confirmed the runs ids at at.
func (n *dispatchNotes) addPublished(ids []int64, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.published.Ids = append(n.published.Ids, ids...)
	for range ids {
		n.published.PublishedAts = append(n.published.PublishedAts, at)
	}
}

// addNext notes the next run of each job in batch: the latest, since a batch of held slots has
// many of the same job.
func (n *dispatchNotes) addNext(batch []due) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.next == nil {
		n.next = make(map[int64]due, len(batch))
	}
	for _, b := range batch {
		if l, ok := n.next[b.jobID]; !ok || b.next.After(l.next) {
			n.next[b.jobID] = b
		}
	}
}

// take returns the next runs noted and the publishes noted before before, and forgets them.
// Publishes are noted in time order.
func (n *dispatchNotes) take(before time.Time) (sqlcgen.JobSetNextRunsParams, sqlcgen.RunMarkPublishedLateParams) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var next sqlcgen.JobSetNextRunsParams
	for id, b := range n.next {
		next.Ids, next.NextRunAts, next.UpdatedAts = append(next.Ids, id), append(next.NextRunAts, b.next), append(next.UpdatedAts, b.updatedAt)
	}
	n.next = nil
	i, _ := slices.BinarySearchFunc(n.published.PublishedAts, before, time.Time.Compare)
	published := sqlcgen.RunMarkPublishedLateParams{Ids: slices.Clone(n.published.Ids[:i]),
		PublishedAts: slices.Clone(n.published.PublishedAts[:i])}
	n.published.Ids = slices.Delete(n.published.Ids, 0, i)
	n.published.PublishedAts = slices.Delete(n.published.PublishedAts, 0, i)
	return next, published
}

// notesLoop writes the notes every notesEvery until stop is closed, and then all of them: the next
// leader has none.
func (d *Dispatcher) notesLoop(stop <-chan struct{}) {
	tick := time.NewTicker(notesEvery)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			d.writeNotes(time.Now().Add(time.Hour))
			return
		case now := <-tick.C:
			d.writeNotes(now.Add(-markAfter))
		}
	}
}

// writeNotes writes the next runs noted, and the publishes noted before before of the runs still
// waiting to be claimed.
func (d *Dispatcher) writeNotes(before time.Time) {
	next, published := d.notes.take(before)
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if len(next.Ids) > 0 {
		if err := d.q.JobSetNextRuns(ctx, next); err != nil {
			d.logger.Warn("Record next run times failed", "error", err, "jobs", len(next.Ids))
		}
	}
	if len(published.Ids) > 0 {
		if err := d.q.RunMarkPublishedLate(ctx, published); err != nil {
			d.logger.Warn("Mark runs published failed; the reaper publishes those still waiting again", "error", err,
				"runs", len(published.Ids))
		}
	}
}
