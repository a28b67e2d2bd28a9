package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// Batching: a burst of due runs is inserted and published in batches of up to dispatchBatch, by
// dispatchWorkers goroutines, so that 10,000 jobs due in one second cost tens of statements, not
// tens of thousands. The scheduler hands over all the slots of one second at once, so a batch is
// closed as soon as no slot has come for dispatchQuiet, and at the latest dispatchLinger after its
// first slot.
const (
	dispatchBatch   = 500
	dispatchQuiet   = 500 * time.Microsecond
	dispatchLinger  = 5 * time.Millisecond
	dispatchWorkers = 4
)

// storeTimeout bounds one attempt to store a batch: past it, the batch is held for a database
// that is out of reach, and the dispatcher goes on taking slots.
const storeTimeout = 10 * time.Second

// due is one slot of one job that has come due, and the job's slot after it. updatedAt is the
// version of the job the slot was computed from.
type due struct {
	jobID                 int64
	slot, next, updatedAt time.Time
}

// Dispatcher turns the leader's due slots into queued runs and publishes them through the replica's
// Outbox. The run is inserted before it is published, so a failed publish leaves a visible,
// unpublished run that the reaper publishes later. While the database is out of reach it holds the
// slots (dispatcher_backlog.go) and stores them, oldest first, once it is back.
type Dispatcher struct {
	q      *sqlcgen.Queries
	out    *Outbox
	logger *slog.Logger
	in     chan due
	held   *backlog
	notes  dispatchNotes
}

// NewDispatcher returns a dispatcher that stores runs through q and publishes them through out.
func NewDispatcher(q *sqlcgen.Queries, out *Outbox, logger *slog.Logger) *Dispatcher {
	return &Dispatcher{q: q, out: out, logger: logger, in: make(chan due, 4*dispatchBatch), held: newBacklog(maxBacklog)}
}

// Due hands over a slot of a job, as of the job's version updatedAt. It blocks while the
// dispatcher is behind, or until ctx is done.
func (d *Dispatcher) Due(ctx context.Context, jobID int64, updatedAt, slot, next time.Time) {
	select {
	case d.in <- due{jobID: jobID, slot: slot, next: next, updatedAt: updatedAt}:
	case <-ctx.Done():
	}
}

// Run dispatches until ctx is done, then returns nil. Slots still held then are dropped: the next
// leader's catch-up finds them, since their jobs' next run did not move on.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.held.reset()
	defer func() {
		if n := d.held.reset(); n > 0 {
			d.logger.Warn("Leadership ended with due slots held; the next leader's catch-up decides about them", "slots", n)
		}
	}()
	// Registered before the other waits, so that it runs after them: once no batch is being stored.
	stopNotes, noted := make(chan struct{}), make(chan struct{})
	go func() { defer close(noted); d.notesLoop(stopNotes) }()
	defer func() { close(stopNotes); <-noted }()
	flushed := make(chan struct{})
	go func() { defer close(flushed); d.flushLoop(ctx) }()
	defer func() { <-flushed }()
	// One goroutine gathers the slots into batches, so that the slots of a quiet second make one
	// batch; dispatchWorkers store and publish the batches of a burst side by side.
	batches := make(chan []due)
	done := make(chan struct{})
	for range dispatchWorkers {
		go func() {
			defer func() { done <- struct{}{} }()
			for batch := range batches {
				d.dispatch(ctx, batch)
			}
		}()
	}
	for batch := d.collect(ctx); batch != nil; batch = d.collect(ctx) {
		batches <- batch
	}
	close(batches)
	for range dispatchWorkers {
		<-done
	}
	return nil
}

// collect waits for one due slot, then gathers what else arrives until the slots stop coming.
func (d *Dispatcher) collect(ctx context.Context) []due {
	var batch []due
	select {
	case first := <-d.in:
		batch = append(batch, first)
	case <-ctx.Done():
		// Slots handed over before the end are still dispatched.
		select {
		case first := <-d.in:
			batch = append(batch, first)
		default:
			return nil
		}
	}
	linger := time.NewTimer(dispatchLinger)
	defer linger.Stop()
	quiet := time.NewTimer(dispatchQuiet)
	defer quiet.Stop()
	for len(batch) < dispatchBatch {
		select {
		case next := <-d.in:
			batch = append(batch, next)
			quiet.Reset(dispatchQuiet)
		case <-quiet.C:
			return batch
		case <-linger.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

// dispatch stores and publishes a batch, or holds it while the database is out of reach, or while
// older slots are held, so that all are stored oldest first. Slots of jobs left to the catch-up
// are dropped: the catch-up decides about them.
func (d *Dispatcher) dispatch(ctx context.Context, batch []due) {
	if batch, _ = d.held.filter(batch); len(batch) > 0 {
		d.storeOrHold(ctx, batch)
	}
}

// storeOrHold stores and publishes a batch, or holds it.
func (d *Dispatcher) storeOrHold(ctx context.Context, batch []due) {
	if d.held.size() > 0 {
		d.hold(batch, nil)
		return
	}
	// The batch is finished even if ctx ends meanwhile: slots already taken must become runs.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := d.store(ctx, batch); err != nil {
		if !unreachable(err) {
			// Nothing was stored, and next_run_at stays behind: the catch-up decides.
			d.logger.Error("Insert due runs failed", "error", err, "runs", len(batch))
			return
		}
		d.hold(batch, err)
	}
}

// store inserts the runs of a batch and publishes them, and notes the jobs' next runs and the
// publishes for later (dispatcher_notes.go). It fails only if the runs could not be inserted.
func (d *Dispatcher) store(ctx context.Context, batch []due) error {
	params := sqlcgen.RunInsertScheduledParams{JobIds: make([]int64, len(batch)), ScheduledAts: make([]time.Time, len(batch))}
	for i, b := range batch {
		params.JobIds[i], params.ScheduledAts[i] = b.jobID, b.slot
	}
	rows, err := d.q.RunInsertScheduled(ctx, params)
	if err != nil {
		return err
	}
	d.notes.addNext(batch)
	msgs := make([]runmsg.Message, len(rows))
	for i, r := range rows {
		msgs[i] = runmsg.Message{RunID: r.ID, JobID: r.JobID}
	}
	if published := d.out.publish(ctx, msgs); len(published) > 0 {
		d.notes.addPublished(published, time.Now())
	}
	return nil
}
