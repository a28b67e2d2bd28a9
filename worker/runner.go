package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/task"
)

// leaseMargin is how much longer than its timeout a run may stay claimed before another consumer
// may take it over (its consumer is then presumed dead).
const leaseMargin = 30 * time.Second

// recordTimeout bounds how long a finished attempt waits for the database to take its result.
const recordTimeout = 2 * time.Minute

// Stored outputs and errors are cut to these sizes.
const (
	maxOutput = 8 << 10
	maxError  = 4 << 10
)

// RetryPublisher publishes a run again after a delay; the broker's publisher is one.
type RetryPublisher interface {
	PublishRetry(ctx context.Context, msg runmsg.Message, delay time.Duration) error
}

// Runner answers the deliveries of the work queue by the delivery protocol: claim the run, execute
// it, record the result, then ack.
type Runner struct {
	q      *sqlcgen.Queries
	exec   *task.Executor
	pub    RetryPublisher
	logger *slog.Logger
	// Metrics, if set, counts attempts by outcome and measures them.
	Metrics *Metrics
	// Secrets, if set, opens the secrets that payloads name; without it such a run fails.
	Secrets *Secrets
	// Alerts, if set, takes every settled run through the alert step, in the transaction that
	// records it (see alerter.go).
	Alerts *Alerter
	// Slots, if set, bounds how many runs execute at once (CONSUMERS); a delivery holds one only
	// while its task executes. Without it, only the consumer's prefetch bounds them.
	Slots *Slots
	// claims, results and marks write the claims, the results and the published retries of all
	// deliveries in batches (batcher.go, runner_batch.go, runner_record.go).
	claims  *batcher[runmsg.Message, sqlcgen.RunClaimRow]
	results *batcher[result, bool]
	marks   *batcher[int64, struct{}]
	// leases keeps the claims of runs that wait for a slot (runner_lease.go).
	leases *leases
	// overlaps knows the jobs whose overlap is not allow (runner_batch.go).
	overlaps overlapJobs
	// maxEarly bounds how long a run waits for its due instant (maxEarly, unless a test sets it).
	maxEarly time.Duration
}

// NewRunner returns a runner that records results through q and publishes retries through pub.
func NewRunner(q *sqlcgen.Queries, exec *task.Executor, pub RetryPublisher, logger *slog.Logger) *Runner {
	r := &Runner{q: q, exec: exec, pub: pub, logger: logger, leases: newLeases(q, logger), maxEarly: maxEarly}
	r.claims = newBatcher(r.claimBatch)
	r.results = newBatcher(r.recordBatch)
	r.marks = newBatcher(r.markBatch)
	return r
}

// The delivery protocol. The Runner answers the deliveries of the work queue, the Notifier those
// of the notice queue (notifier.go); both take each delivery through the same steps, under the
// same names, and the steps they share are written once, at the end of this file:
//
//  1. decode: a body that names no run or notice is dead-lettered (deadLetterUndecodable).
//  2. claim: a conditional update takes the row, waiting out a database outage (claim). No row
//     back means it is done, taken, or waiting for its retry: the delivery is acked and dropped
//     (a run that is gone altogether is dead-lettered).
//  3. execute: the run's task runs, or the notice is sent, once.
//  4. outcome: what the attempt came to is decided before anything is written.
//  5. record: the outcome is written once, in a context that outlives shutdown (record). If it
//     cannot be, the delivery is requeued; if the claim had expired, it is acked and dropped.
//  6. publishRetry: a failed attempt waits out its delay in a retry queue; one that could not be
//     published is published by the reaper.
//  7. answer: ack, or dead-letter a run that failed for good.

// Handle answers a delivery by the delivery protocol (above). It never panics and never leaves
// a delivery unanswered: a message that is not a run, or names a run that is gone, is dead-lettered;
// a run that is finished, taken or waiting for its retry is acked and dropped, because the database
// already knows its state.
func (r *Runner) Handle(ctx context.Context, d amqp.Delivery) {
	m, err := runmsg.Decode(d.Body)
	if err != nil {
		deadLetterUndecodable(r.logger, d, "run", err)
		return
	}
	logger := r.logger.With("run_id", m.RunID, "job_id", m.JobID)
	c, err := claim(ctx, d, logger, "run", func(context.Context) (sqlcgen.RunClaimRow, error) {
		return r.claims.do(m)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		r.unclaimed(ctx, d, m, logger)
		return
	}
	if err == nil {
		r.attempt(ctx, d, c, r.logger.With("run_id", c.ID, "job_id", c.JobID, "attempt", c.Attempts))
	}
}

// unclaimed answers a delivery whose run could not be claimed: dead-lettered if the run is gone,
// acked if it is finished, taken or waiting for its retry.
func (r *Runner) unclaimed(ctx context.Context, d amqp.Delivery, m runmsg.Message, logger *slog.Logger) {
	run, err := retryDB(ctx, logger, "look up run", func(ctx context.Context) (sqlcgen.Run, error) {
		return r.q.RunGet(ctx, m.RunID)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		logger.Error("Message dead-lettered: the run no longer exists")
		answer(d, true)
	case err != nil:
		logger.Error("Look up run failed, requeueing", "error", err)
		requeueLater(ctx, d)
	default:
		logger.Info("Duplicate message dropped", "status", run.Status)
		answer(d, false)
	}
}

// attempt takes a claimed run through the rest of the protocol: it executes the run, decides what
// came of it, then records that once, counts it once and answers the delivery once.
func (r *Runner) attempt(ctx context.Context, d amqp.Delivery, c sqlcgen.RunClaimRow, logger *slog.Logger) {
	actx, stop := r.watchCancel(ctx, c, logger)
	exchange := new(task.Exchange)
	output, elapsed, execErr := r.execute(actx, c, exchange, logger)
	ended := time.Now()
	replaced := errors.Is(context.Cause(actx), errReplaced)
	stop()
	o := r.outcome(c, task.Storable(output, maxOutput), execErr)
	if replaced {
		o = cancelledOutcome(c, task.Storable(output, maxOutput))
	}
	o.exchange, o.ended = exchange.Record(), ended
	r.Metrics.attemptDone(c.Type, o.status, elapsed)
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if !record(ctx, rctx, d, logger, "run", func(context.Context) (bool, error) { return r.results.do(o.result) }) {
		return
	}
	logger.Log(ctx, o.level, o.message, append(o.logArgs, "duration_ms", elapsed.Milliseconds())...)
	if o.status == runstatus.Failed {
		r.publishRetry(rctx, runmsg.Message{RunID: c.ID, JobID: c.JobID}, o.retryIn, logger)
	}
	// A run that failed for good is dead-lettered through the work queue's dead-letter exchange.
	answer(d, o.deadLetter)
}

// execute runs a claimed run's task once, not before its slot, and says how long the task took.
// It opens the secrets the task names, then waits for the due instant, then for an execution slot,
// which it holds only while the task runs (reading secrets waits out a database outage, which must
// not hold a slot); the claim's lease is kept meanwhile (runner_lease.go). The task fills in
// exchange with what it sent and got back.
func (r *Runner) execute(ctx context.Context, c sqlcgen.RunClaimRow, exchange *task.Exchange, logger *slog.Logger) (string, time.Duration, error) {
	t := taskOf(c)
	t.Exchange = exchange
	r.leases.wait(c)
	var err error
	if t.Secrets, err = r.Secrets.Values(ctx, logger, c.SecretRefs); err == nil {
		t.SigningSecret, t.PreviousSigningSecret, err = r.Secrets.openSigning(t.SigningSecret, c.PreviousSigningSecret)
	}
	waitForSlot(ctx, c.ScheduledAt, r.maxEarly)
	took := err == nil && r.Slots.take(ctx)
	r.leases.started(c.ID)
	if took {
		defer r.Slots.release()
	}
	r.Metrics.started(c.Attempts, c.ScheduledAt, c.StartedAt)
	start := time.Now()
	var output string
	if err == nil {
		output, err = r.exec.Execute(ctx, c.Type, time.Duration(c.TimeoutMs)*time.Millisecond, t)
	}
	return output, time.Since(start), err
}

// maxEarly bounds how long a consumer waits for a run's slot. A run is claimed at most
// maxFireAhead before it; a longer wait could only come of this machine's clock being behind the
// scheduler's.
const maxEarly = maxFireAhead + time.Second

// waitForSlot waits until slot, if it is still to come, but no longer than atMost: the scheduler
// fires early (fireAhead, more for a crowded slot), so that the run is claimed by its slot, and it
// must not start before it.
// The wait is a timer, in the delivery's own goroutine: it holds no execution slot.
func waitForSlot(ctx context.Context, slot time.Time, atMost time.Duration) {
	wait := min(time.Until(slot), atMost)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// publishRetry publishes a failed run to wait out its delay in the broker.
func (r *Runner) publishRetry(ctx context.Context, msg runmsg.Message, delay time.Duration, logger *slog.Logger) {
	publishRetry(logger, "run", func() error { return r.pub.PublishRetry(ctx, msg, delay) },
		func() error { _, err := r.marks.do(msg.RunID); return err })
}

// The steps of the delivery protocol that the Runner and the Notifier share.

// deadLetterUndecodable dead-letters a delivery whose body names no run or notice (what). The body
// is not logged: it could hold anything, secrets included.
func deadLetterUndecodable(logger *slog.Logger, d amqp.Delivery, what string, err error) {
	logger.Error("Message dead-lettered: not a "+what, "error", err, "message_id", d.MessageId,
		"body_bytes", len(d.Body))
	answer(d, true)
}

// claim takes the row (a run or a notice: what) that a delivery names, waiting out a database
// outage. On a failure other than pgx.ErrNoRows it gives the delivery back for later; it returns
// the error in any case, and a delivery whose row could not be claimed is the caller's to answer.
func claim[C any](ctx context.Context, d amqp.Delivery, logger *slog.Logger, what string,
	take func(ctx context.Context) (C, error)) (C, error) {
	c, err := retryDB(ctx, logger, "claim "+what, take)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		logger.Error("Claim "+what+" failed, requeueing", "error", err)
		requeueLater(ctx, d)
	}
	return c, err
}

// recordContext is what an attempt's outcome is recorded and its retry published under: it goes on
// when shutdown interrupts the attempt, and waits out a database outage of up to recordTimeout.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// record writes an attempt's outcome through write, which reports whether the claim still held,
// under rctx (recordContext). It reports whether the caller goes on to publish the retry and answer
// the delivery; if not, record has answered it: requeued when the outcome could not be written (the
// claim stays, and once its lease is over the row is taken again), acked when the claim had expired
// and another consumer took the row over.
func record(ctx, rctx context.Context, d amqp.Delivery, logger *slog.Logger, what string,
	write func(ctx context.Context) (bool, error)) bool {
	recorded, err := retryDB(rctx, logger, "record "+what+" result", write)
	switch {
	case err != nil:
		logger.Error("Record "+what+" result failed, requeueing", "error", err)
		requeueLater(ctx, d)
		return false
	case !recorded:
		logger.Warn("Result discarded: the claim on the " + what + " expired and another consumer took it")
		answer(d, false)
		return false
	}
	return true
}

// publishRetry publishes a failed attempt's retry (of a run or a notice: what) to wait out its delay
// in the broker, then marks it published. A retry that could not be published stays unpublished,
// and the reaper publishes it once its delay is over.
func publishRetry(logger *slog.Logger, what string, publish, markPublished func() error) {
	if err := publish(); err != nil {
		logger.Warn("Publish "+what+" retry failed; the reaper will retry", "error", err)
	} else if err := markPublished(); err != nil {
		logger.Warn("Mark "+what+" retry published failed", "error", err)
	}
}

// answer acks a delivery, or dead-letters it through its queue's dead-letter exchange, which keeps
// it for inspection.
func answer(d amqp.Delivery, deadLetter bool) {
	if deadLetter {
		_ = d.Nack(false, false)
		return
	}
	_ = d.Ack(false)
}

// requeueLater gives a delivery back to the broker after a pause, so that a database outage does
// not turn into a tight redelivery loop.
func requeueLater(ctx context.Context, d amqp.Delivery) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	_ = d.Nack(false, true)
}

// deref is the string s points at, or "".
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// idempotencyKey is the same for every attempt of a run and differs between runs.
func idempotencyKey(jobID, runID int64) string {
	return fmt.Sprintf("cronflow-%d-%d", jobID, runID)
}
