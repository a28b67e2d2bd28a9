package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/retrypolicy"
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

// Runner handles one delivery: claim the run, execute it, record the result, then ack.
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
	// records it (see alert.go).
	Alerts *Alerter
	// claims, results and marks write the claims, the results and the published retries of all
	// consumers in batches (batcher.go).
	claims  *batcher[int64, sqlcgen.RunClaimRow]
	results *batcher[result, bool]
	marks   *batcher[int64, struct{}]
}

// NewRunner returns a runner that records results through q and publishes retries through pub.
func NewRunner(q *sqlcgen.Queries, exec *task.Executor, pub RetryPublisher, logger *slog.Logger) *Runner {
	r := &Runner{q: q, exec: exec, pub: pub, logger: logger}
	r.claims = newBatcher(r.claimBatch)
	r.results = newBatcher(r.recordBatch)
	r.marks = newBatcher(r.markBatch)
	return r
}

// Handle processes a delivery. It never panics and never leaves a delivery unanswered: a message
// that is not a run, or names a run that is gone, is dead-lettered; a run that is finished, taken or
// waiting for its retry is acked and dropped, because the database already knows its state.
func (r *Runner) Handle(ctx context.Context, d amqp.Delivery) {
	m, err := runmsg.Decode(d.Body)
	if err != nil {
		// The body is not logged: it could hold anything, secrets included.
		r.logger.Error("Message dead-lettered: not a run", "error", err, "message_id", d.MessageId,
			"body_bytes", len(d.Body))
		_ = d.Nack(false, false)
		return
	}
	logger := r.logger.With("run_id", m.RunID, "job_id", m.JobID)

	claim, err := retryDB(ctx, logger, "claim run", func(ctx context.Context) (sqlcgen.RunClaimRow, error) {
		return r.claims.do(m.RunID)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		r.skip(ctx, d, m, logger)
		return
	}
	if err != nil {
		logger.Error("Claim run failed, requeueing", "error", err)
		requeueLater(ctx, d)
		return
	}
	r.run(ctx, d, claim, r.logger.With("run_id", claim.ID, "job_id", claim.JobID, "attempt", claim.Attempts))
}

// skip answers a delivery whose run could not be claimed.
func (r *Runner) skip(ctx context.Context, d amqp.Delivery, m runmsg.Message, logger *slog.Logger) {
	run, err := retryDB(ctx, logger, "look up run", func(ctx context.Context) (sqlcgen.Run, error) {
		return r.q.RunGet(ctx, m.RunID)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		logger.Error("Message dead-lettered: the run no longer exists")
		_ = d.Nack(false, false)
	case err != nil:
		logger.Error("Look up run failed, requeueing", "error", err)
		requeueLater(ctx, d)
	default:
		logger.Info("Duplicate message dropped", "status", run.Status)
		_ = d.Ack(false)
	}
}

// run executes a claimed run, then records what came of it once, counts it once and answers the
// delivery once.
func (r *Runner) run(ctx context.Context, d amqp.Delivery, c sqlcgen.RunClaimRow, logger *slog.Logger) {
	t := task.Task{
		RunID:          c.ID,
		JobID:          c.JobID,
		JobName:        c.Name,
		Attempt:        int(c.Attempts),
		ScheduledAt:    c.ScheduledAt,
		Payload:        c.Payload,
		IdempotencyKey: idempotencyKey(c.JobID, c.ID),
		SigningSecret:  deref(c.SigningSecret),
	}
	waitForSlot(ctx, c.ScheduledAt)
	r.Metrics.started(c.Attempts, c.ScheduledAt, c.StartedAt)
	start := time.Now()
	var output string
	var execErr error
	if t.Secrets, execErr = r.Secrets.Values(ctx, logger, c.SecretRefs); execErr == nil {
		output, execErr = r.exec.Execute(ctx, c.Type, time.Duration(c.TimeoutMs)*time.Millisecond, t)
	}
	elapsed := time.Since(start)
	o := r.outcome(c, task.Storable(output, maxOutput), execErr)

	// The result is recorded even when shutdown interrupted the attempt, and waits out a database
	// outage of up to recordTimeout.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	recorded, err := retryDB(rctx, logger, "record "+string(o.status), func(context.Context) (bool, error) {
		return r.results.do(o.result)
	})
	r.Metrics.attemptDone(c.Type, o.status, elapsed)
	switch {
	case err != nil:
		// The run stays claimed: the message is requeued, and once the lease is over the run is
		// taken again.
		logger.Error("Record run result failed, requeueing", "error", err)
		requeueLater(ctx, d)
		return
	case !recorded:
		logger.Warn("Run result discarded: the claim expired and another consumer took the run")
		_ = d.Ack(false)
		return
	}
	logger.Log(ctx, o.level, o.message, append(o.logArgs, "duration_ms", elapsed.Milliseconds())...)
	if o.status == runstatus.Failed {
		r.publishRetry(rctx, runmsg.Message{RunID: c.ID, JobID: c.JobID}, o.retryIn, logger)
	}
	if o.deadLetter {
		// Dead-lettered through the work queue's dead-letter exchange, kept for inspection.
		_ = d.Nack(false, false)
		return
	}
	_ = d.Ack(false)
}

// maxEarly bounds how long a consumer waits for a run's slot. A run is claimed at most fireAhead
// before it; a longer wait could only come of this machine's clock being behind the scheduler's.
const maxEarly = time.Second

// waitForSlot waits until slot, if it is still to come: the scheduler fires fireAhead early, so
// that the run is claimed by its slot, and it must not start before it.
func waitForSlot(ctx context.Context, slot time.Time) {
	wait := min(time.Until(slot), maxEarly)
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

// outcome is what an attempt came to, decided before anything is recorded.
type outcome struct {
	// result is what is recorded; its status names the outcome in metrics, and a failed one is
	// published again after its retryIn.
	result
	level   slog.Level
	message string
	logArgs []any
	// deadLetter answers the delivery by dead-lettering it instead of acking it.
	deadLetter bool
}

// outcome decides what an attempt with this output and error comes to.
func (r *Runner) outcome(c sqlcgen.RunClaimRow, output string, execErr error) outcome {
	if execErr == nil {
		return outcome{result: result{claim: c, status: runstatus.Completed, output: output},
			level: slog.LevelDebug, message: "Run completed"}
	}
	policy := retrypolicy.Policy{On: c.RetryOn, Backoff: c.RetryBackoff, MaxRetries: int(c.MaxRetries),
		Delay: time.Duration(c.RetryDelayMs) * time.Millisecond}
	decision := policy.Decide(int(c.RetryCount), execErr, rand.Float64)
	// A note on why the run was not retried comes first, where no cut of a long error can lose it.
	errText := task.Storable(strings.TrimSpace(decision.Note+" "+execErr.Error()), maxError)
	if !decision.Retry {
		return outcome{result: result{claim: c, status: runstatus.PermanentlyFailed, output: output, err: errText},
			level: slog.LevelWarn, message: "Run permanently failed",
			logArgs: []any{"error", errText, "retry_count", c.RetryCount}, deadLetter: true}
	}
	// The delay is that of the retry queue the run will wait in, so that the database expects it back
	// when the broker brings it.
	delay := broker.RetryDelayAtLeast(decision.Delay)
	return outcome{result: result{claim: c, status: runstatus.Failed, output: output, err: errText, retryIn: delay},
		level: slog.LevelWarn, message: "Run attempt failed, retry scheduled",
		logArgs: []any{"error", errText, "retry_in", delay.String()}}
}

// publishRetry publishes a failed run to wait out its delay in the broker. A retry that could not be
// published stays failed and unpublished; the reaper publishes it when its delay is over.
func (r *Runner) publishRetry(ctx context.Context, msg runmsg.Message, delay time.Duration, logger *slog.Logger) {
	if err := r.pub.PublishRetry(ctx, msg, delay); err != nil {
		logger.Warn("Publish retry failed; the reaper will retry", "error", err)
	} else if _, err := r.marks.do(msg.RunID); err != nil {
		logger.Warn("Mark retry published failed", "error", err)
	}
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
