package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// A job's overlap policy says what a slot does while an earlier run of the job is unsettled
// (queued, running, or waiting for its retry). It is applied where a run is claimed, in SQL, so that
// every replica's consumers decide alike (RunOverlapDecide in queries/run_overlap.sql):
//
//   - allow: the slot runs beside the earlier run (what Cronflow always did).
//   - skip: the slot is recorded as skipped, with the reason, and not executed.
//   - queue: the slot waits, queued and unpublished, until the earlier run settles; the
//     transaction that settles it publishes the slot again (Alerter.Record), and the reaper does if
//     that publish is lost. At most one slot waits; later ones are skipped.
//   - replace: the earlier runs are cancelled; one that is running is asked to stop
//     (cancel_requested_at), which its consumer notices (watchCancel) and records as cancelled.
const (
	overlapAllow   = "allow"
	overlapReplace = "replace"
)

// errReplaced is the cause of an attempt's context being cancelled because a later run of its job
// replaced it.
var errReplaced = errors.New("a later run of the job replaced this one (overlap: replace)")

// cancelPoll is how often a consumer running a run of a job with overlap "replace" looks whether a
// later run asked it to stop.
const cancelPoll = 200 * time.Millisecond

// decideOverlap applies their jobs' overlap policies to the runs of a claim batch, before they are
// claimed, and reports what it did. A run it skipped or holds back is then not claimed.
func (r *Runner) decideOverlap(ctx context.Context, ids []int64) error {
	rows, err := r.q.RunOverlapDecide(ctx, ids)
	if err != nil {
		return fmt.Errorf("apply overlap policies to %d runs: %w", len(ids), err)
	}
	var skipped []sqlcgen.RunOverlapDecideRow
	for _, row := range rows {
		r.logger.Info("Overlap policy applied", "run_id", row.ID, "job_id", row.JobID, "decision", row.Decision,
			"reason", row.Error)
		if row.Decision == string(runstatus.Skipped) {
			skipped = append(skipped, row)
		}
	}
	r.Metrics.skippedSlots(len(skipped))
	if r.Alerts != nil && len(skipped) > 0 {
		r.Alerts.noticeSkipped(ctx, skipped)
	}
	return nil
}

// watchCancel returns the context an attempt of c runs under: for a job whose overlap is
// "replace", it is cancelled with errReplaced as soon as a later run asks this one to stop. stop
// ends the watch.
func (r *Runner) watchCancel(ctx context.Context, c sqlcgen.RunClaimRow, logger *slog.Logger) (context.Context, func()) {
	if c.Overlap != overlapReplace {
		return ctx, func() {}
	}
	actx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(cancelPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-actx.Done():
				return
			case <-t.C:
			}
			if asked, err := r.q.RunCancelRequested(actx, c.ID); err == nil && asked {
				logger.Info("Run cancelled: a later run replaced it")
				cancel(errReplaced)
				return
			}
		}
	}()
	return actx, func() { close(done); cancel(nil) }
}

// cancelledOutcome is what an attempt stopped by a later run comes to: cancelled, with what it
// had output.
func cancelledOutcome(c sqlcgen.RunClaimRow, output string) outcome {
	return outcome{result: result{claim: c, status: runstatus.Cancelled, output: output, err: "cancelled: " + errReplaced.Error()},
		level: slog.LevelInfo, message: "Run cancelled"}
}
