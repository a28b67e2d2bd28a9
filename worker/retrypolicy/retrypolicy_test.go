package retrypolicy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

func half() float64 { return 0.5 }

func TestDecide(t *testing.T) {
	t.Parallel()
	transient := errors.New("connection refused")
	notFound := task.Permanent(errors.New("HTTP 404 Not Found, expected 2xx"), "an HTTP 404 answer is not a transient failure")
	fixed := Policy{On: OnTransient, Backoff: BackoffFixed, Delay: 2 * time.Second, MaxRetries: 3}

	t.Run("ATransientFailureIsRetriedAfterTheDelay", func(t *testing.T) {
		if d := fixed.Decide(0, transient, half); !d.Retry || d.Delay != 2*time.Second || d.Note != "" {
			t.Errorf("Decide = %+v", d)
		}
	})
	t.Run("APermanentFailureEndsTheRunSayingWhy", func(t *testing.T) {
		d := fixed.Decide(0, notFound, half)
		if d.Retry || !strings.Contains(d.Note, "Not retried: an HTTP 404 answer is not a transient failure") {
			t.Errorf("Decide = %+v", d)
		}
	})
	t.Run("RetryOnAnyRetriesAPermanentFailure", func(t *testing.T) {
		any := fixed
		any.On = OnAny
		if d := any.Decide(0, notFound, half); !d.Retry || d.Note != "" {
			t.Errorf("Decide = %+v", d)
		}
	})
	t.Run("NoRetriesLeftEndsTheRun", func(t *testing.T) {
		if d := fixed.Decide(3, transient, half); d.Retry || d.Note != "" {
			t.Errorf("Decide = %+v", d)
		}
	})
	t.Run("ExponentialDoublesWithJitterAndACap", func(t *testing.T) {
		exp := Policy{On: OnTransient, Backoff: BackoffExponential, Delay: 10 * time.Second, MaxRetries: 10}
		for retries, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second} {
			if d := exp.Decide(retries, transient, half); d.Delay != want {
				t.Errorf("retry %d: delay %s, want %s", retries+1, d.Delay, want)
			}
		}
		low, high := exp.Decide(1, transient, func() float64 { return 0 }), exp.Decide(1, transient, func() float64 { return 0.9999 })
		if low.Delay != 16*time.Second || high.Delay < 23*time.Second || high.Delay > 24*time.Second {
			t.Errorf("jitter of the second retry: %s to %s, want 16s to 24s", low.Delay, high.Delay)
		}
		if d := exp.Decide(9, transient, func() float64 { return 0.9999 }); d.Delay != MaxDelay {
			t.Errorf("tenth retry: %s, want the cap %s", d.Delay, MaxDelay)
		}
	})
	t.Run("RetryAfterWinsWhenLongerAndIsCapped", func(t *testing.T) {
		for after, want := range map[time.Duration]time.Duration{time.Second: 2 * time.Second, 3 * time.Second: 3 * time.Second, 5 * time.Hour: MaxDelay} {
			err := task.RetryLater(errors.New("HTTP 503 Service Unavailable"), after)
			if d := fixed.Decide(0, err, half); !d.Retry || d.Delay != want {
				t.Errorf("Retry-After %s: %+v, want %s", after, d, want)
			}
		}
	})
}
