// Package retrypolicy decides what comes after a failed attempt: another attempt, and after how
// long, or none. It does no I/O; the runner records what it decides, and the broker's bounded set
// of delay queues carries the wait.
package retrypolicy

import (
	"fmt"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

// MaxDelay caps every delay, computed or asked for with Retry-After.
const MaxDelay = time.Hour

// jitter is how far an exponential delay may stray either way, so that runs that failed together
// do not all come back together.
const jitter = 0.2

// The values of a job's retry_on and retry_backoff.
const (
	OnTransient        = "transient"
	OnAny              = "any"
	BackoffFixed       = "fixed"
	BackoffExponential = "exponential"
)

// Policy is a job's retry policy.
type Policy struct {
	// On is OnTransient (only failures that may mend themselves are retried) or OnAny.
	On string
	// Backoff is BackoffFixed (Delay every time) or BackoffExponential (Delay × 2^(n−1)).
	Backoff string
	// Delay is the job's retry_delay.
	Delay time.Duration
	// MaxRetries is how many retries a run may have.
	MaxRetries int
}

// Decision is what follows a failed attempt.
type Decision struct {
	// Retry says whether another attempt follows, after Delay.
	Retry bool
	Delay time.Duration
	// Note, when the run ends because its failure is not transient, says so, to follow its error.
	Note string
}

// Decide decides what follows the failure err after retries retries so far. random returns a
// number in [0, 1), for the jitter.
func (p Policy) Decide(retries int, err error, random func() float64) Decision {
	if reason := task.PermanentReason(err); reason != "" && p.On != OnAny {
		return Decision{Note: fmt.Sprintf("Not retried: %s (retry_on is %q).", reason, OnTransient)}
	}
	if retries >= p.MaxRetries {
		return Decision{}
	}
	delay := p.Delay
	if p.Backoff == BackoffExponential {
		delay = exponential(p.Delay, retries+1, random())
	}
	if after := task.RetryAfter(err); after > delay {
		delay = after
	}
	return Decision{Retry: true, Delay: min(delay, MaxDelay)}
}

// exponential is base × 2^(n−1), moved by up to ±jitter, capped at MaxDelay.
func exponential(base time.Duration, n int, random float64) time.Duration {
	d := base
	for i := 1; i < n && d < MaxDelay; i++ {
		d *= 2
	}
	d = min(d, MaxDelay)
	return time.Duration(float64(d) * (1 + jitter*(2*random-1)))
}
