package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// Batching: a burst of due runs is inserted and published in batches of up to dispatchBatch, by
// dispatchWorkers goroutines, so that 10,000 jobs due in one second cost tens of statements, not
// tens of thousands.
const (
	dispatchBatch   = 500
	dispatchLinger  = 5 * time.Millisecond
	dispatchWorkers = 4
)

// due is one slot of one job that has come due, and the job's slot after it. updatedAt is the
// version of the job the slot was computed from.
type due struct {
	jobID                 int64
	slot, next, updatedAt time.Time
}

// Dispatcher turns due slots into queued runs and publishes them. The run is inserted before it is
// published, so a failed publish leaves a visible, unpublished run that the reaper publishes later.
type Dispatcher struct {
	q      *sqlcgen.Queries
	pub    *broker.Publisher
	logger *slog.Logger
	in     chan due
}

// NewDispatcher returns a dispatcher that stores runs through q and publishes them through pub.
func NewDispatcher(q *sqlcgen.Queries, pub *broker.Publisher, logger *slog.Logger) *Dispatcher {
	return &Dispatcher{q: q, pub: pub, logger: logger, in: make(chan due, 4*dispatchBatch)}
}

// Due hands over a slot of a job, as of the job's version updatedAt. It blocks while the
// dispatcher is behind, or until ctx is done.
func (d *Dispatcher) Due(ctx context.Context, jobID int64, updatedAt, slot, next time.Time) {
	select {
	case d.in <- due{jobID: jobID, slot: slot, next: next, updatedAt: updatedAt}:
	case <-ctx.Done():
	}
}

// Run dispatches until ctx is done, then returns nil.
func (d *Dispatcher) Run(ctx context.Context) error {
	done := make(chan struct{})
	for range dispatchWorkers {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				batch := d.collect(ctx)
				if batch == nil {
					return
				}
				d.dispatch(ctx, batch)
			}
		}()
	}
	for range dispatchWorkers {
		<-done
	}
	return nil
}

// collect waits for one due slot, then gathers what else arrives within the linger.
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
	for len(batch) < dispatchBatch {
		select {
		case next := <-d.in:
			batch = append(batch, next)
		case <-linger.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

func (d *Dispatcher) dispatch(ctx context.Context, batch []due) {
	// The batch is finished even if ctx ends meanwhile: slots already taken must become runs.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	params := sqlcgen.RunInsertScheduledParams{JobIds: make([]int64, len(batch)), ScheduledAts: make([]time.Time, len(batch))}
	next := sqlcgen.JobSetNextRunsParams{Ids: make([]int64, len(batch)), NextRunAts: make([]time.Time, len(batch)),
		UpdatedAts: make([]time.Time, len(batch))}
	for i, b := range batch {
		params.JobIds[i], params.ScheduledAts[i] = b.jobID, b.slot
		next.Ids[i], next.NextRunAts[i], next.UpdatedAts[i] = b.jobID, b.next, b.updatedAt
	}
	rows, err := d.q.RunInsertScheduled(ctx, params)
	if err != nil {
		// Nothing was stored, and next_run_at stays behind: the scheduler's catch-up, which runs
		// every minute, runs the most recent missed slot.
		d.logger.Error("Insert due runs failed", "error", err, "runs", len(batch))
		return
	}
	if err := d.q.JobSetNextRuns(ctx, next); err != nil {
		d.logger.Warn("Record next run times failed", "error", err)
	}
	msgs := make([]runmsg.Message, len(rows))
	for i, r := range rows {
		msgs[i] = runmsg.Message{RunID: r.ID, JobID: r.JobID}
	}
	d.Publish(ctx, msgs)
}

// Publish publishes runs that are already stored and records which ones the broker confirmed.
// Runs left unconfirmed are published again by the reaper.
func (d *Dispatcher) Publish(ctx context.Context, msgs []runmsg.Message) {
	if len(msgs) == 0 {
		return
	}
	published, err := d.pub.PublishRuns(ctx, msgs)
	if err != nil {
		d.logger.Warn("Publish runs failed; the reaper will publish them", "error", err,
			"runs", len(msgs), "published", len(published))
	}
	if len(published) == 0 {
		return
	}
	if err := d.q.RunMarkPublished(ctx, published); err != nil {
		d.logger.Warn("Mark runs published failed", "error", err)
	}
}

// skip moves a job's next run time on without making a run, for missed slots left out.
func (d *Dispatcher) skip(ctx context.Context, jobID int64, updatedAt, next time.Time) {
	err := d.q.JobSetNextRuns(ctx, sqlcgen.JobSetNextRunsParams{Ids: []int64{jobID}, NextRunAts: []time.Time{next},
		UpdatedAts: []time.Time{updatedAt}})
	if err != nil {
		d.logger.Warn("Record next run time failed", "job_id", jobID, "error", err)
	}
}
