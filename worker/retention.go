package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// retentionBatch is how many runs one delete statement looks at. Each batch is its own short
// statement that locks only the rows it deletes, so consumers and pages never wait behind it.
const retentionBatch = 2000

// AuditRetention is how long audit log entries are kept.
const AuditRetention = 365 * 24 * time.Hour

// RetentionConfig says how long finished runs are kept.
type RetentionConfig struct {
	// Completed is the age after which completed runs are deleted.
	Completed time.Duration
	// Failed is the age after which permanently failed and missed runs are deleted.
	Failed time.Duration
	// KeepPerJob is how many of each job's newest runs are kept whatever their age.
	KeepPerJob int
	// Interval is the time between two passes.
	Interval time.Duration
}

// ParseAge reads a retention duration: a whole number, at least 1, of seconds, minutes, hours or
// days ("90s", "15m", "12h", "30d"), at most hi. Days are what retention is usually set in, and Go's
// own durations have none.
func ParseAge(s string, hi time.Duration) (time.Duration, error) {
	const day = 24 * time.Hour
	bad := fmt.Errorf("must be a whole number of s, m, h or d (such as 90s, 15m, 12h, 30d), from 1s to %dd, got %q", hi/day, s)
	if s == "" {
		return 0, bad
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': day}[s[len(s)-1]]
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if unit == 0 || err != nil || n < 1 || n > int64(hi/unit) {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}

// retentionKinds are what retention counts: completed runs, failed runs (permanently failed,
// missed), skipped and cancelled runs, notices that have no run, and audit entries. A run's
// attempts and notices go with it and are not counted apart.
var retentionKinds = []string{"completed", "failed", "skipped", "cancelled", "notices", "audit"}

// expiry is how long runs of a status are kept and what retention counts them as. Runs that are
// not settled (queued, running, waiting for a retry) are never deleted.
func (c RetentionConfig) expiry(s runstatus.Status) (age time.Duration, kind string, ok bool) {
	switch {
	case !s.Settled():
		return 0, "", false
	case s == runstatus.Completed:
		return c.Completed, "completed", true
	// A skipped or cancelled run is no failure: it is kept as long as a completed one.
	case s == runstatus.Skipped || s == runstatus.Cancelled:
		return c.Completed, string(s), true
	}
	return c.Failed, "failed", true
}

// Retention deletes old finished runs and old audit entries. Only the leader runs it, so two
// replicas never delete the same rows at once.
type Retention struct {
	q      *sqlcgen.Queries
	cfg    RetentionConfig
	logger *slog.Logger

	deleted  map[string]*atomic.Int64 // by kind, since the process started
	lastPass atomic.Int64             // nanoseconds
}

// NewRetention returns the retention service.
func NewRetention(q *sqlcgen.Queries, cfg RetentionConfig, logger *slog.Logger) *Retention {
	r := &Retention{q: q, cfg: cfg, logger: logger, deleted: map[string]*atomic.Int64{}}
	for _, kind := range retentionKinds {
		r.deleted[kind] = new(atomic.Int64)
	}
	return r
}

// Run makes a pass at once, and then every interval, until ctx is done. A pass that fails is
// logged and tried again at the next interval; Run returns nil when ctx is done.
func (r *Retention) Run(ctx context.Context) error {
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		if _, err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.logger.Warn("Retention pass failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Pass deletes, batch by batch, what has expired now. It answers how many rows it deleted of each
// kind ("completed", "failed", "audit").
func (r *Retention) Pass(ctx context.Context) (map[string]int64, error) {
	start := time.Now()
	deleted := map[string]int64{}
	err := r.sweep(ctx, start, deleted)
	r.lastPass.Store(int64(time.Since(start)))
	if deleted["completed"]+deleted["failed"]+deleted["notices"]+deleted["audit"] > 0 {
		r.logger.Info("Retention deleted old rows", "completed_runs", deleted["completed"], "failed_runs", deleted["failed"],
			"notices", deleted["notices"], "audit_entries", deleted["audit"], "duration_ms", time.Since(start).Milliseconds())
	}
	return deleted, err
}

// sweep deletes each class of runs, and then the audit entries, that expired by now, adding what it
// deleted to deleted and to the process's counters, batch by batch, so that the counters are
// right as soon as the rows are gone.
func (r *Retention) sweep(ctx context.Context, now time.Time, deleted map[string]int64) error {
	counter := func(kind string) func(n int64) {
		return func(n int64) {
			deleted[kind] += n
			r.deleted[kind].Add(n)
		}
	}
	for _, status := range runstatus.All() {
		age, kind, ok := r.cfg.expiry(status)
		if !ok {
			continue
		}
		if err := r.expireRuns(ctx, status, now.Add(-age), counter(kind)); err != nil {
			return fmt.Errorf("delete old %s runs: %w", status, err)
		}
	}
	// A notice with no run is kept as long as the longest kept run it could have been about.
	noticeAge := max(r.cfg.Completed, r.cfg.Failed)
	if err := r.expireBatches(ctx, r.noticeBatch(now.Add(-noticeAge)), counter("notices")); err != nil {
		return fmt.Errorf("delete old notices: %w", err)
	}
	if err := r.expireBatches(ctx, r.auditBatch(now.Add(-AuditRetention)), counter("audit")); err != nil {
		return fmt.Errorf("delete old audit entries: %w", err)
	}
	return nil
}

// expireRuns deletes the runs of one status that finished before a moment, except each job's
// newest, and counts each batch it deleted.
func (r *Retention) expireRuns(ctx context.Context, status runstatus.Status, before time.Time, count func(int64)) error {
	bound, err := r.q.RunRetentionBound(ctx, before)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var after int64
	for ctx.Err() == nil {
		start := time.Now()
		row, err := r.q.RunDeleteExpired(ctx, sqlcgen.RunDeleteExpiredParams{
			Status: status, AfterID: after, MaxID: bound, MaxRows: retentionBatch,
			Before: before, Keep: int32(r.cfg.KeepPerJob),
		})
		if err != nil {
			return err
		}
		count(row.Deleted)
		if row.LastID == 0 {
			break
		}
		after = row.LastID
		pace(ctx, time.Since(start))
	}
	return ctx.Err()
}

// pace waits after a batch as long as the batch took (at most a second), so that a backlog of
// expired rows takes at most half of the database's time and the consumers and pages keep the
// rest. A pass over the rows of a normal interval is a batch or two and hardly waits.
func pace(ctx context.Context, took time.Duration) {
	t := time.NewTimer(min(took, time.Second))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// auditBatch deletes one batch of audit entries older than a moment.
func (r *Retention) auditBatch(before time.Time) func(context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		return r.q.AuditDeleteBefore(ctx, sqlcgen.AuditDeleteBeforeParams{Before: before, MaxRows: retentionBatch})
	}
}

// noticeBatch deletes one batch of settled notices with no run made before a moment.
func (r *Retention) noticeBatch(before time.Time) func(context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		return r.q.NoticeDeleteExpired(ctx, sqlcgen.NoticeDeleteExpiredParams{Before: before, MaxRows: retentionBatch})
	}
}

// expireBatches deletes with batch until a batch comes back short, and counts each batch.
func (r *Retention) expireBatches(ctx context.Context, batch func(context.Context) (int64, error), count func(int64)) error {
	for ctx.Err() == nil {
		start := time.Now()
		n, err := batch(ctx)
		count(n)
		if err != nil || n < retentionBatch {
			return err
		}
		pace(ctx, time.Since(start))
	}
	return ctx.Err()
}

// Register adds retention's series to reg: what it deleted, by kind, and how long its last pass took.
func (r *Retention) Register(reg prometheus.Registerer) {
	const help = "Rows deleted by retention, by kind: completed runs, failed (permanently failed and missed) runs, skipped runs, cancelled runs, notices with no run, audit entries."
	for _, kind := range retentionKinds {
		v := r.deleted[kind]
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "cronflow_retention_deleted_total", Help: help, ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 { return float64(v.Load()) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cronflow_retention_last_pass_seconds",
		Help: "How long the last retention pass on this replica took.",
	}, func() float64 { return time.Duration(r.lastPass.Load()).Seconds() }))
}
