package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// limiter allows each key (a client address, a user) a burst of events and then a steady rate: a
// token bucket per key, which can also be given an event back. Keys whose bucket has refilled are
// forgotten, so that the map stays small.
type limiter struct {
	every time.Duration
	burst int
	// now is the clock, a field so that tests can move it on.
	now func() time.Time

	mu      sync.Mutex
	keys    map[string]*bucket
	cleaned time.Time
}

// bucket is one key's events left, as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// maxLimiterKeys is how many keys a limiter holds before it forgets refilled ones at once rather
// than once a minute, so that a flood of made-up names cannot grow it without bound.
const maxLimiterKeys = 100_000

// newLimiter allows burst events at once per key, then one every `every`.
func newLimiter(burst int, every time.Duration) *limiter {
	return &limiter{every: every, burst: burst, now: time.Now, keys: map[string]*bucket{}}
}

// allow reports whether key may have one more event now, and counts it.
func (l *limiter) allow(key string) bool {
	_, ok := l.reserve(key)
	return ok
}

// reserve takes one event for key now, if one is left, before the work it guards is done: requests
// in flight together cannot all pass a check that is only counted afterwards. The caller gives the
// event back with refund when it should not count (a login that succeeded).
func (l *limiter) reserve(key string) (refund func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key)
	if b.tokens < 1 {
		return nil, false
	}
	b.tokens--
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		b.tokens = min(float64(l.burst), b.tokens+1)
	}, true
}

// retryAfter is how long until a key that has run out has an event again, in whole seconds.
func (l *limiter) retryAfter() int {
	return max(1, int(l.every.Round(time.Second).Seconds()))
}

// bucket returns key's bucket, refilled to now, forgetting the buckets that are full. l.mu is held.
func (l *limiter) bucket(key string) *bucket {
	now := l.now()
	full := time.Duration(l.burst) * l.every
	if now.Sub(l.cleaned) > time.Minute || len(l.keys) >= maxLimiterKeys {
		for k, b := range l.keys {
			if now.Sub(b.last) > full {
				delete(l.keys, k)
			}
		}
		l.cleaned = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &bucket{tokens: float64(l.burst), last: now}
		l.keys[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(l.burst), b.tokens+float64(elapsed)/float64(l.every))
		b.last = now
	}
	return b
}

// perUserLimit allows each user (or, with authentication off, each client address) perMinute
// actions a minute, with the same burst; more get 429 saying "Too many <what>". The limit is shared
// by every route it is put on, so that the API and the dashboard count together.
func perUserLimit(perMinute int, what string) echo.MiddlewareFunc {
	if perMinute <= 0 {
		perMinute = 60
	}
	l := newLimiter(perMinute, time.Minute/time.Duration(perMinute))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := currentUser(c)
			if key == "" {
				key = "ip:" + c.RealIP()
			}
			if !l.allow(key) {
				c.Response().Header().Set("Retry-After", strconv.Itoa(l.retryAfter()))
				return echo.NewHTTPError(http.StatusTooManyRequests,
					"Too many "+what+": at most "+strconv.Itoa(perMinute)+" a minute.")
			}
			return next(c)
		}
	}
}
