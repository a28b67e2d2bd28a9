package worker

import (
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/retrypolicy"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/task"
)

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
