package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"golang.org/x/time/rate"
)

// limiter allows each key (a client address, a user) a burst of events and then a steady rate.
// Keys unused for a while are forgotten, so that the map stays small.
type limiter struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	keys    map[string]*limiterEntry
	cleaned time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter allows burst events at once per key, then one every `every`.
func newLimiter(burst int, every time.Duration) *limiter {
	return &limiter{every: every, burst: burst, keys: map[string]*limiterEntry{}}
}

// allow reports whether key may have one more event now, and counts it.
func (l *limiter) allow(key string) bool {
	return l.entry(key).AllowN(time.Now(), 1)
}

// exhausted reports whether key has no event left now, without counting one.
func (l *limiter) exhausted(key string) bool {
	return l.entry(key).TokensAt(time.Now()) < 1
}

// spend counts an event for key, such as a failed login.
func (l *limiter) spend(key string) {
	l.entry(key).AllowN(time.Now(), 1)
}

// entry returns key's rate limiter, forgetting keys unused for a while.
func (l *limiter) entry(key string) *rate.Limiter {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.cleaned) > time.Minute {
		for k, e := range l.keys {
			if now.Sub(e.seen) > time.Duration(l.burst)*l.every {
				delete(l.keys, k)
			}
		}
		l.cleaned = now
	}
	e, ok := l.keys[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.keys[key] = e
	}
	e.seen = now
	return e.lim
}

// jobCreationLimit allows each user (or, with authentication off, each client address) perMinute
// jobs a minute through the API, with the same burst; more get 429.
func jobCreationLimit(perMinute int) echo.MiddlewareFunc {
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
				c.Response().Header().Set("Retry-After", "60")
				return echo.NewHTTPError(http.StatusTooManyRequests,
					"Too many jobs created: at most "+strconv.Itoa(perMinute)+" a minute.")
			}
			return next(c)
		}
	}
}
