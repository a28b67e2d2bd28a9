package worker

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// gaps are the times between one run's attempts at a target.
func gaps(hits []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(hits); i++ {
		out = append(out, hits[i].Sub(hits[i-1]))
	}
	return out
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)

	t.Run("ANotFoundIsNotRetried", func(t *testing.T) {
		t.Parallel()
		tg := newRecordingTarget(t, func(string, int) int { return http.StatusNotFound })
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: time.Second})
		run := h.waitStatus(h.runNow(job.ID).ID, "permanently_failed", 20*time.Second)
		if run.Attempts != 1 || !strings.HasPrefix(run.Error, "Not retried: an HTTP 404 answer is not a transient failure") ||
			!strings.Contains(run.Error, "HTTP 404 Not Found, expected 2xx") {
			t.Errorf("attempts %d, error %q", run.Attempts, run.Error)
		}
		if n := len(tg.hitsFor(idempotencyKey(job.ID, run.ID))); n != 1 {
			t.Errorf("the target was called %d times", n)
		}
	})

	t.Run("ANotFoundIsRetriedWithRetryOnAny", func(t *testing.T) {
		t.Parallel()
		tg := newRecordingTarget(t, func(_ string, n int) int { return map[bool]int{true: 404, false: 200}[n == 1] })
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: time.Second, retryOn: "any"})
		if run := h.waitStatus(h.runNow(job.ID).ID, "completed", 30*time.Second); run.Attempts != 2 {
			t.Errorf("attempts %d, want 2", run.Attempts)
		}
	})

	t.Run("AnUnavailableTargetIsRetriedAndItsRetryAfterWaitedFor", func(t *testing.T) {
		t.Parallel()
		tg := newRecordingTarget(t, func(_ string, n int) int { return map[bool]int{true: 503, false: 200}[n == 1] })
		tg.Config.Handler = retryAfter("3", tg.Config.Handler)
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: time.Second})
		run := h.waitStatus(h.runNow(job.ID).ID, "completed", 30*time.Second)
		hits := tg.hitsFor(idempotencyKey(job.ID, run.ID))
		if run.Attempts != 2 || len(hits) != 2 {
			t.Fatalf("attempts %d, %d calls, want 2", run.Attempts, len(hits))
		}
		if gap := hits[1].Sub(hits[0]); gap < 3*time.Second {
			t.Errorf("the retry came %s after the 503, want at least its Retry-After of 3s (the delay is 1s)", gap)
		}
	})

	t.Run("ExponentialBackoffSpacesTheAttempts", func(t *testing.T) {
		t.Parallel()
		tg := newRecordingTarget(t, func(string, int) int { return http.StatusInternalServerError })
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: time.Second, backoff: "exponential"})
		run := h.waitStatus(h.runNow(job.ID).ID, "permanently_failed", 60*time.Second)
		got := gaps(tg.hitsFor(idempotencyKey(job.ID, run.ID)))
		if len(got) != 3 {
			t.Fatalf("%d retries, want 3", len(got))
		}
		// 1s, 2s, 4s, each at most 20 % shorter; a fixed delay would give 1s each time.
		for i, least := range []time.Duration{800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond} {
			if got[i] < least {
				t.Errorf("retry %d came %s after the attempt before, want at least %s (all gaps: %v)", i+1, got[i], least, got)
			}
		}
	})
}

// retryAfter adds a Retry-After header to every answer of next.
func retryAfter(seconds string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", seconds)
		next.ServeHTTP(w, r)
	})
}
