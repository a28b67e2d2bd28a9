package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cronflow/cronflow/sqlcgen"
)

// purgeBatch is how many of a deleted job's runs one statement deletes: a short transaction that
// locks only its rows, so that the dashboard and the consumers never wait long behind it.
const purgeBatch = 5000

// Purger deletes the runs of deleted jobs. Deleting a job deletes its row at once (the job is gone
// from every list, the API and the scheduler, and its runs are never claimed), and leaves its
// runs, which may be millions, to the purger, batch by batch; a job deleted before a restart is
// finished by the next leader, since what is left to do is in the database (job_keys). Only the
// leader runs it. Each pass also folds the run counters (RunCountFold), which grow by a row per
// statement that changes runs.
type Purger struct {
	q        *sqlcgen.Queries
	interval time.Duration
	logger   *slog.Logger

	purged atomic.Int64 // runs deleted with their jobs since the process started
}

// NewPurger returns the purger, which looks for deleted jobs every interval.
func NewPurger(q *sqlcgen.Queries, interval time.Duration, logger *slog.Logger) *Purger {
	return &Purger{q: q, interval: interval, logger: logger}
}

// Run makes a pass at once and then every interval until ctx is done. A pass that fails is logged
// and tried again at the next interval; Run returns nil when ctx is done.
func (p *Purger) Run(ctx context.Context) error {
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		if err := p.Pass(ctx); err != nil && ctx.Err() == nil {
			p.logger.Warn("Purge pass failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Pass folds the run counters and deletes the runs of every deleted job, and then the jobs' keys.
func (p *Purger) Pass(ctx context.Context) error {
	if err := p.q.RunCountFold(ctx); err != nil {
		return fmt.Errorf("fold run counts: %w", err)
	}
	for ctx.Err() == nil {
		ids, err := p.q.JobKeyListDeleted(ctx, 100)
		if err != nil {
			return fmt.Errorf("list deleted jobs: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		for _, id := range ids {
			if err := p.purge(ctx, id); err != nil {
				return fmt.Errorf("delete runs of deleted job %d: %w", id, err)
			}
		}
	}
	return ctx.Err()
}

// purge deletes a deleted job's runs batch by batch, and then its key.
func (p *Purger) purge(ctx context.Context, id int64) error {
	start := time.Now()
	var total int64
	for ctx.Err() == nil {
		t0 := time.Now()
		n, err := p.q.JobKeyPurgeRuns(ctx, sqlcgen.JobKeyPurgeRunsParams{JobID: id, MaxRows: purgeBatch})
		if err != nil {
			return err
		}
		total += n
		p.purged.Add(n)
		if n == 0 {
			break
		}
		pace(ctx, time.Since(t0))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, err := p.q.JobKeyDelete(ctx, id); err != nil {
		return err
	}
	if total > 0 {
		p.logger.Info("Deleted the runs of a deleted job", "job_id", id, "runs", total,
			"duration_ms", time.Since(start).Milliseconds())
	}
	return nil
}

// Register adds the purger's series to reg: how many runs it deleted with their jobs.
func (p *Purger) Register(reg prometheus.Registerer) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cronflow_deleted_job_runs_total",
		Help: "Runs deleted in the background after their job was deleted, on this replica.",
	}, func() float64 { return float64(p.purged.Load()) }))
}
