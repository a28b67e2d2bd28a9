package worker

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// resyncEvery is how often the scheduler compares its cron table with the database in full, in
// case a change notification was lost. Notifications make changes take effect at once.
const resyncEvery = time.Minute

// Scheduler keeps one robfig/cron entry per active job and turns each firing into a due slot for
// the dispatcher. Only the leader runs it.
type Scheduler struct {
	pool    *pgxpool.Pool
	q       *sqlcgen.Queries
	disp    *Dispatcher
	logger  *slog.Logger
	catchUp time.Duration

	mu      sync.Mutex
	cron    *cron.Cron
	entries map[int64]*entry
	ctx     context.Context
	started bool // the cron table runs; only Run's goroutine reads or writes it
}

// NewScheduler returns a scheduler. catchUp is how old a missed slot may be and still run once
// when the scheduler starts; zero turns catching up off.
func NewScheduler(pool *pgxpool.Pool, disp *Dispatcher, catchUp time.Duration, logger *slog.Logger) *Scheduler {
	return &Scheduler{pool: pool, q: sqlcgen.New(pool), disp: disp, catchUp: catchUp, logger: logger}
}

// entry is one job in the cron table.
type entry struct {
	jobID     int64
	cronID    cron.EntryID
	updatedAt time.Time
	sched     cron.Schedule
	s         *Scheduler

	mu   sync.Mutex
	next time.Time
}

// Run is called by robfig/cron when the entry is due. The slot is the schedule's time, not the
// time of the call; if the process stalled past several slots, only the latest one runs.
func (e *entry) Run() {
	now := time.Now()
	e.mu.Lock()
	slot := e.next
	if slot.After(now) {
		e.mu.Unlock()
		return
	}
	for n := e.sched.Next(slot); !n.IsZero() && !n.After(now); n = e.sched.Next(n) {
		slot = n
	}
	e.next = e.sched.Next(slot)
	next := e.next
	e.mu.Unlock()
	e.s.disp.Due(e.s.ctx, e.jobID, e.updatedAt, slot, next)
}

// Run schedules every job until ctx is done: it loads the jobs, catches up on missed slots, and
// follows changes made by any replica.
func (s *Scheduler) Run(ctx context.Context) error {
	listener, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer listener.Release()
	if err := sqlcgen.New(listener).JobListen(ctx); err != nil {
		return err
	}

	s.mu.Lock()
	s.ctx = ctx
	s.entries = map[int64]*entry{}
	s.started = false
	s.cron = cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(cronLogger{s.logger})))
	s.mu.Unlock()
	if err := s.resync(ctx); err != nil {
		return err
	}
	s.cron.Start()
	s.started = true
	defer func() { <-s.cron.Stop().Done() }()
	s.logger.Info("Scheduler started", "jobs", len(s.entries))
	// Nothing is in flight yet: every slot already passed is missed.
	s.catchUpMissed(ctx, 0)

	changed := make(chan int64, 256)
	listenErr := make(chan error, 1)
	listenCtx, stopListening := context.WithCancel(ctx)
	listening := make(chan struct{})
	go func() { defer close(listening); listenErr <- listen(listenCtx, listener, changed) }()
	// The listening goroutine must be gone before the connection goes back to the pool.
	defer func() { stopListening(); <-listening }()
	resync := time.NewTicker(resyncEvery)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-listenErr:
			if ctx.Err() != nil {
				return nil
			}
			// The listening connection is broken; the leader starts the scheduler again.
			listener.Conn().Close(context.Background())
			return err
		case id := <-changed:
			s.follow(ctx, id)
		case <-resync.C:
			if err := s.resync(ctx); err != nil {
				s.logger.Warn("Resync jobs failed", "error", err)
			}
			// Slots of the last few seconds may still be on their way through the dispatcher.
			s.catchUpMissed(ctx, 5*time.Second)
		}
	}
}

// listen passes the id of every changed job on to changed until the listening connection fails or
// ctx is done, and returns why it stopped.
func listen(ctx context.Context, listener *pgxpool.Conn, changed chan<- int64) error {
	for {
		n, err := listener.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			id = allJobs // '*', or anything else that is not one job
		}
		select {
		case changed <- id:
		case <-ctx.Done():
		}
	}
}

// syncJob brings one job's entry in line with the database.
func (s *Scheduler) syncJob(ctx context.Context, id int64) {
	row, err := s.q.JobScheduleGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		s.remove(id)
		return
	}
	if err != nil {
		s.logger.Warn("Load job for scheduling failed", "job_id", id, "error", err)
		return
	}
	s.apply(sqlcgen.JobScheduleListRow(row))
}

// resync compares every job with the cron table.
func (s *Scheduler) resync(ctx context.Context) error {
	rows, err := s.q.JobScheduleList(ctx)
	if err != nil {
		return err
	}
	seen := make(map[int64]bool, len(rows))
	resume := s.pauseForBulk(ctx, rows)
	for _, row := range rows {
		seen[row.ID] = true
		s.apply(row)
	}
	resume()
	s.mu.Lock()
	var gone []int64
	for id := range s.entries {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	for _, id := range gone {
		s.remove(id)
	}
	return nil
}

func (s *Scheduler) apply(row sqlcgen.JobScheduleListRow) {
	s.mu.Lock()
	old := s.entries[row.ID]
	s.mu.Unlock()
	if row.Paused {
		s.remove(row.ID)
		return
	}
	if old != nil && old.updatedAt.Equal(row.UpdatedAt) {
		return
	}
	sched, err := schedule.Parse(row.Cron, row.Timezone)
	if err != nil {
		s.logger.Error("Job has an invalid schedule; not scheduled", "job_id", row.ID, "cron", row.Cron, "error", err)
		s.remove(row.ID)
		return
	}
	s.remove(row.ID)
	e := &entry{jobID: row.ID, updatedAt: row.UpdatedAt, sched: sched, s: s, next: sched.Next(time.Now())}
	e.cronID = s.cron.Schedule(sched, e)
	s.mu.Lock()
	s.entries[row.ID] = e
	s.mu.Unlock()
}

func (s *Scheduler) remove(id int64) {
	s.mu.Lock()
	e := s.entries[id]
	delete(s.entries, id)
	s.mu.Unlock()
	if e != nil {
		s.cron.Remove(e.cronID)
	}
}

// catchUpMissed runs, once, the most recent missed slot of each job whose next run passed without
// a run, if that slot is younger than the catch-up window. Older missed slots are skipped, and said
// so in the log. A slot that did get its run is not run again: the (job, slot) key prevents it.
func (s *Scheduler) catchUpMissed(ctx context.Context, inFlight time.Duration) {
	now := time.Now()
	rows, err := s.q.JobListOverdue(ctx, sqlcgen.JobListOverdueParams{Before: now.Add(-inFlight), MaxRows: 10000})
	if err != nil {
		s.logger.Warn("List overdue jobs failed", "error", err)
		return
	}
	for _, row := range rows {
		sched, err := schedule.Parse(row.Cron, row.Timezone)
		if err != nil || row.NextRunAt == nil {
			continue
		}
		// Only the schedule's own times are slots: next_run_at may be from before an edit.
		slot := sched.Next(row.NextRunAt.Add(-time.Second))
		next := sched.Next(now)
		if slot.IsZero() || slot.After(now) {
			s.disp.skip(ctx, row.ID, row.UpdatedAt, next)
			continue
		}
		for n := sched.Next(slot); !n.IsZero() && !n.After(now); n = sched.Next(n) {
			slot = n
		}
		if s.catchUp > 0 && now.Sub(slot) <= s.catchUp {
			s.logger.Info("Catching up a missed run", "job_id", row.ID, "scheduled_at", slot)
			s.disp.Due(ctx, row.ID, row.UpdatedAt, slot, next)
			continue
		}
		s.logger.Warn("Missed run skipped: older than the catch-up window", "job_id", row.ID,
			"scheduled_at", slot, "catch_up_window", s.catchUp.String())
		s.disp.skip(ctx, row.ID, row.UpdatedAt, next)
	}
}

// cronLogger lets robfig/cron report through slog (it reports recovered panics).
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "error", err)...)
}
