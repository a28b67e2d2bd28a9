package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// Batching: a burst of due runs is inserted and published in batches of up to dispatchBatch, by
// dispatchWorkers goroutines, so that 10,000 jobs due in one second cost tens of statements, not
// tens of thousands. robfig/cron hands over all the slots of one second at once, so a batch is
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

// Dispatcher turns due slots into queued runs and publishes them. The run is inserted before it is
// published, so a failed publish leaves a visible, unpublished run that the reaper publishes later.
// While the database is out of reach it holds the slots (see backlog) and stores them, oldest
// first, once it is back.
type Dispatcher struct {
	q      *sqlcgen.Queries
	pub    *broker.Publisher
	logger *slog.Logger
	in     chan due
	held   *backlog
	notes  dispatchNotes
}

// NewDispatcher returns a dispatcher that stores runs through q and publishes them through pub.
func NewDispatcher(q *sqlcgen.Queries, pub *broker.Publisher, logger *slog.Logger) *Dispatcher {
	return &Dispatcher{q: q, pub: pub, logger: logger, in: make(chan due, 4*dispatchBatch), held: newBacklog(maxBacklog)}
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
// publishes for later (notes.go). It fails only if the runs could not be inserted.
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
	if published := d.publish(ctx, msgs); len(published) > 0 {
		d.notes.addPublished(published, time.Now())
	}
	return nil
}

// reconnectWait is how long a publish cut off by the loss of its broker node waits for the
// connection to move to another node, to publish the rest there.
const reconnectWait = 2 * time.Second

// Publish publishes runs that are already stored and records which ones the broker confirmed.
func (d *Dispatcher) Publish(ctx context.Context, msgs []runmsg.Message) {
	published := d.publish(ctx, msgs)
	if len(published) == 0 {
		return
	}
	if err := d.q.RunMarkPublished(ctx, published); err != nil {
		d.logger.Warn("Mark runs published failed", "error", err)
	}
}

// publish publishes runs that are already stored and returns the ids of those the broker
// confirmed. If the broker node went away under the publish, the rest are published again once the
// connection is on another node; runs still unconfirmed are published again by the reaper.
func (d *Dispatcher) publish(ctx context.Context, msgs []runmsg.Message) []int64 {
	if len(msgs) == 0 {
		return nil
	}
	lost := d.pub.Reconnects()
	published, err := d.pub.PublishRuns(ctx, msgs)
	// The connection was there when the publish began, and went away under it.
	cutOff := !errors.Is(err, broker.ErrNotConnected) && (d.pub.Reconnects() > lost || !d.pub.Connected())
	if err != nil && cutOff && len(published) < len(msgs) {
		wait := retry.WithMaxDuration(reconnectWait, retry.NewConstant(50*time.Millisecond))
		if retry.Do(ctx, wait, func(context.Context) error {
			if !d.pub.Connected() {
				return retry.RetryableError(broker.ErrNotConnected)
			}
			return nil
		}) == nil {
			var more []int64
			more, err = d.pub.PublishRuns(ctx, unconfirmed(msgs, published))
			published = append(published, more...)
		}
	}
	if err != nil {
		d.logger.Warn("Publish runs failed; the reaper will publish them", "error", err,
			"runs", len(msgs), "published", len(published))
	}
	return published
}

// PublishNotices publishes stored notices and records which ones the broker confirmed; the others
// are published again by the reaper.
func (d *Dispatcher) PublishNotices(ctx context.Context, ids []int64) {
	if len(ids) == 0 {
		return
	}
	published, err := d.pub.PublishNotices(ctx, ids)
	if err != nil {
		d.logger.Warn("Publish notices failed; the reaper will publish them", "error", err, "notices", len(ids))
	}
	if len(published) == 0 {
		return
	}
	if err := d.q.NoticeMarkPublished(ctx, published); err != nil {
		d.logger.Warn("Mark notices published failed", "error", err)
	}
}

// unconfirmed returns the messages whose runs are not in confirmed.
func unconfirmed(msgs []runmsg.Message, confirmed []int64) []runmsg.Message {
	done := make(map[int64]bool, len(confirmed))
	for _, id := range confirmed {
		done[id] = true
	}
	var rest []runmsg.Message
	for _, m := range msgs {
		if !done[m.RunID] {
			rest = append(rest, m)
		}
	}
	return rest
}
