package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
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

// Runner handles one delivery: claim the run, execute it, record the result, then ack.
type Runner struct {
	q      *sqlcgen.Queries
	exec   *Executor
	pub    *Publisher
	logger *slog.Logger
	// Metrics, if set, counts attempts by outcome and measures them.
	Metrics *Metrics
}

// NewRunner returns a runner that records results through q and publishes retries through pub.
func NewRunner(q *sqlcgen.Queries, exec *Executor, pub *Publisher, logger *slog.Logger) *Runner {
	return &Runner{q: q, exec: exec, pub: pub, logger: logger}
}

// Handle processes a delivery. It never panics and never leaves a delivery unanswered: a message
// that is not a run, or names a run that is gone, is dead-lettered; a run that is finished, taken or
// waiting for its retry is acked and dropped, because the database already knows its state.
func (r *Runner) Handle(ctx context.Context, d amqp.Delivery) {
	var m RunMessage
	if err := json.Unmarshal(d.Body, &m); err != nil || m.RunID <= 0 {
		// The body is not logged: it could hold anything, secrets included.
		r.logger.Error("Message dead-lettered: not a run", "error", err, "message_id", d.MessageId,
			"body_bytes", len(d.Body))
		_ = d.Nack(false, false)
		return
	}
	logger := r.logger.With("run_id", m.RunID, "job_id", m.JobID)

	claim, err := retryDB(ctx, logger, "claim run", func(ctx context.Context) (sqlcgen.RunClaimRow, error) {
		return r.q.RunClaim(ctx, sqlcgen.RunClaimParams{ID: m.RunID, LeaseMarginMs: leaseMargin.Milliseconds()})
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
func (r *Runner) skip(ctx context.Context, d amqp.Delivery, m RunMessage, logger *slog.Logger) {
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

func (r *Runner) run(ctx context.Context, d amqp.Delivery, c sqlcgen.RunClaimRow, logger *slog.Logger) {
	task := Task{
		RunID:          c.ID,
		JobID:          c.JobID,
		JobName:        c.Name,
		Attempt:        int(c.Attempts),
		ScheduledAt:    c.ScheduledAt,
		Payload:        c.Payload,
		IdempotencyKey: idempotencyKey(c.JobID, c.ID),
	}
	r.Metrics.started(c.Attempts, c.ScheduledAt, c.StartedAt)
	start := time.Now()
	output, execErr := r.exec.Execute(ctx, c.Type, time.Duration(c.TimeoutMs)*time.Millisecond, task)
	output = storable(output, maxOutput)
	elapsed := time.Since(start)

	// The result is recorded even when shutdown interrupted the attempt, and waits out a database
	// outage of up to recordTimeout.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()

	if execErr == nil {
		n, err := retryDB(rctx, logger, "record completion", func(ctx context.Context) (int64, error) {
			return r.q.RunComplete(ctx, sqlcgen.RunCompleteParams{ID: c.ID, Attempt: c.Attempts, Output: output})
		})
		r.Metrics.attemptDone(c.Type, "completed", elapsed)
		r.settle(ctx, d, n, err, logger, "Run completed", "duration_ms", elapsed.Milliseconds())
		return
	}
	errText := storable(execErr.Error(), maxError)
	if c.RetryCount >= c.MaxRetries {
		n, err := retryDB(rctx, logger, "record failure", func(ctx context.Context) (int64, error) {
			return r.q.RunFailPermanently(ctx, sqlcgen.RunFailPermanentlyParams{ID: c.ID, Attempt: c.Attempts, Output: output, Error: errText})
		})
		r.Metrics.attemptDone(c.Type, "permanently_failed", elapsed)
		if err == nil && n == 1 {
			// Dead-lettered through the work queue's dead-letter exchange, kept for inspection.
			logger.Warn("Run permanently failed", "error", errText, "retry_count", c.RetryCount, "duration_ms", elapsed.Milliseconds())
			_ = d.Nack(false, false)
			return
		}
		r.settle(ctx, d, n, err, logger, "")
		return
	}
	delay := time.Duration(c.RetryDelayMs) * time.Millisecond
	r.Metrics.attemptDone(c.Type, "failed", elapsed)
	_, err := retryDB(rctx, logger, "record failed attempt", func(ctx context.Context) (*time.Time, error) {
		return r.q.RunFail(ctx, sqlcgen.RunFailParams{ID: c.ID, Attempt: c.Attempts, Output: output, Error: errText, RetryDelayMs: c.RetryDelayMs})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		r.settle(ctx, d, 0, nil, logger, "")
		return
	}
	if err != nil {
		r.settle(ctx, d, 0, err, logger, "")
		return
	}
	logger.Warn("Run attempt failed, retry scheduled", "error", errText, "retry_in", delay.String(), "duration_ms", elapsed.Milliseconds())
	msg := RunMessage{RunID: c.ID, JobID: c.JobID}
	if err := r.pub.PublishRetry(rctx, msg, delay); err != nil {
		// The run stays failed and unpublished; the reaper publishes it when its delay is over.
		logger.Warn("Publish retry failed; the reaper will retry", "error", err)
	} else if err := r.q.RunMarkPublished(rctx, []int64{c.ID}); err != nil {
		logger.Warn("Mark retry published failed", "error", err)
	}
	_ = d.Ack(false)
}

// settle acks a delivery once its result is committed. A result that could not be stored leaves
// the run claimed: the message is requeued, and once the lease is over the run is taken again.
func (r *Runner) settle(ctx context.Context, d amqp.Delivery, rows int64, err error, logger *slog.Logger, msg string, args ...any) {
	switch {
	case err != nil:
		logger.Error("Record run result failed, requeueing", "error", err)
		requeueLater(ctx, d)
	case rows == 0:
		logger.Warn("Run result discarded: the claim expired and another consumer took the run")
		_ = d.Ack(false)
	default:
		if msg != "" {
			logger.Info(msg, args...)
		}
		_ = d.Ack(false)
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

// storable shortens s to at most n bytes without splitting a character, marking the cut, and
// replaces what PostgreSQL's text cannot hold (invalid UTF-8, NUL), so that any output or error,
// whatever a target or mail server sent, can be recorded.
func storable(s string, n int) string {
	suffix := ""
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, suffix = s[:n], "…(truncated)"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD") + suffix
}

// idempotencyKey is the same for every attempt of a run and differs between runs.
func idempotencyKey(jobID, runID int64) string {
	return fmt.Sprintf("cronflow-%d-%d", jobID, runID)
}
