package task

import (
	"errors"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// failure is a failed attempt with what a retry policy needs to know about it. An error that is
// not a failure (a connection refused, a timeout, a panic) counts as transient.
type failure struct {
	err error
	// permanent names why retrying cannot help; "" means the failure may be transient.
	permanent string
	// retryAfter is how long the target asked to be left alone (Retry-After), or zero.
	retryAfter time.Duration
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// Permanent marks err as a failure that retrying cannot mend, for the reason given, which the
// run's error shows when it is not retried.
func Permanent(err error, reason string) error {
	return &failure{err: err, permanent: reason}
}

// RetryLater marks err as a transient failure after which the target asked to be left alone for
// after, as a Retry-After header does.
func RetryLater(err error, after time.Duration) error {
	return &failure{err: err, retryAfter: after}
}

// PermanentReason returns why err cannot be mended by retrying, or "" if it may be transient.
func PermanentReason(err error) string {
	var f *failure
	if errors.As(err, &f) {
		return f.permanent
	}
	return ""
}

// RetryAfter is how long the target asked to wait before the next attempt, or zero.
func RetryAfter(err error) time.Duration {
	var f *failure
	if errors.As(err, &f) {
		return f.retryAfter
	}
	return 0
}

// statusFailure classifies an answer whose status missed the expectation: 408, 429 and 5xx are
// transient, anything else (a 4xx, an unexpected 2xx or 3xx) is not. A Retry-After on 429 or 503
// is kept, as seconds or an HTTP date.
func statusFailure(err error, resp *http.Response, now time.Time) error {
	f := &failure{err: err}
	code := resp.StatusCode
	switch {
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
	default:
		f.permanent = "an HTTP " + strconv.Itoa(code) + " answer is not a transient failure"
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		f.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return f
}

// parseRetryAfter reads a Retry-After header: a number of seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// smtpFailure classifies an SMTP error: a 5xx reply is permanent, anything else may be transient.
// The reply itself is in err's text.
func smtpFailure(err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 {
		return Permanent(err, "an SMTP "+strconv.Itoa(reply.Code)+" reply is permanent")
	}
	return err
}
