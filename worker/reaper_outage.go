package worker

import (
	"log/slog"
	"sync"
	"time"
)

// reapTimeout bounds each of the reaper's lists, so that a database that stopped answering
// without closing the connection shows as an outage instead of a reap that waits for ever.
const reapTimeout = 10 * time.Second

// outageGap is how long the reaper may go without a list before it counts the time as an outage.
const outageGap = reapEvery + reapTimeout

// outageGrace keeps the reaper from taking a run from a consumer that could not record it only
// because the database was out of reach. A run's lease runs out on the database's clock, whether
// or not its consumer could reach the database meanwhile: after an outage longer than a lease,
// every run being executed when it began looks abandoned, though its consumer has the result and
// is retrying to record it. Publishing such a run again would execute it a second time. So, for
// leaseMargin after the reaper itself finds the database again, a lease that ran out after the
// outage began is left to its consumer; one that ran out before is reaped as ever.
type outageGrace struct {
	mu       sync.Mutex
	lastList time.Time // the last list that succeeded
	began    time.Time // when the last outage began (the last list before it)
	until    time.Time // the end of the grace after it
}

// listed notes a list's outcome at now. It reports whether that list is the first to reach the
// database after an outage: its parameters were chosen before the outage was known, so it must be
// dropped and made again with the grace.
func (g *outageGrace) listed(now time.Time, ok bool, logger *slog.Logger) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !ok {
		return false
	}
	ended := !g.lastList.IsZero() && now.Sub(g.lastList) > outageGap
	if ended {
		g.began, g.until = g.lastList, now.Add(leaseMargin)
		logger.Info("Reaper: the database was out of reach; leases that ran out meanwhile are left to their consumers a while",
			"outage_s", int(now.Sub(g.lastList).Seconds()), "grace_s", int(leaseMargin.Seconds()))
	}
	g.lastList = now
	return ended
}

// leaseExpiredBefore is the time before which a run's lease must have run out for the reaper to
// take the run now: now, or during the grace after an outage, when that outage began.
func (g *outageGrace) leaseExpiredBefore(now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.until) {
		return g.began
	}
	return now
}
