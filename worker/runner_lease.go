package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// leaseRenewEvery is how often the leases of runs that wait for an execution slot are renewed. A
// claim's lease lasts the job's timeout and leaseMargin; renewed this often, a run that starts
// executing has at least its timeout and leaseMargin-leaseRenewEvery left.
const leaseRenewEvery = 10 * time.Second

// leases keeps the claims of the runs a process has claimed but not yet started: with a small
// pool (CONSUMERS) and slow targets, a claimed run can wait longer for an execution slot than its
// lease lasts, and the reaper would take it for lost and have it run twice. While some runs wait,
// one goroutine renews their leases in one statement every leaseRenewEvery; it ends when none
// wait. A process that dies renews nothing, so its runs are taken over once their leases end.
type leases struct {
	q      *sqlcgen.Queries
	logger *slog.Logger

	mu      sync.Mutex
	waiting map[int64]int32 // run id -> the attempt claimed
	running bool
}

func newLeases(q *sqlcgen.Queries, logger *slog.Logger) *leases {
	return &leases{q: q, logger: logger, waiting: map[int64]int32{}}
}

// wait notes that a claimed run waits for its slot; started ends that.
func (l *leases) wait(c sqlcgen.RunClaimRow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting[c.ID] = c.Attempts
	if !l.running {
		l.running = true
		go l.renew()
	}
}

// started notes that a run no longer waits: it executes under the lease it has.
func (l *leases) started(id int64) {
	l.mu.Lock()
	delete(l.waiting, id)
	l.mu.Unlock()
}

// renew renews the leases of the waiting runs every leaseRenewEvery, until none wait.
func (l *leases) renew() {
	t := time.NewTicker(leaseRenewEvery)
	defer t.Stop()
	for range t.C {
		l.mu.Lock()
		if len(l.waiting) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		p := sqlcgen.RunLeaseExtendParams{LeaseMarginMs: leaseMargin.Milliseconds()}
		for id, attempt := range l.waiting {
			p.Ids, p.Attempts = append(p.Ids, id), append(p.Attempts, attempt)
		}
		l.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), leaseRenewEvery)
		if err := l.q.RunLeaseExtend(ctx, p); err != nil {
			l.logger.Warn("Renew the leases of runs waiting for an execution slot failed", "runs", len(p.Ids), "error", err)
		}
		cancel()
	}
}
