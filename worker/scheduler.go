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
	"github.com/sethvargo/go-retry"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// resyncEvery is how often the scheduler compares its cron table with the database in full, in
// case a change notification was lost. Notifications make changes take effect at once.
const resyncEvery = time.Minute

// listenCheckEvery is how long a quiet listening connection waits before it makes sure it is still
// on the primary: one left on a demoted primary would hear no change made on the new one.
const listenCheckEvery = 5 * time.Second

// Scheduler keeps one robfig/cron entry per active job and turns each firing into a due slot for
// the dispatcher. Only the leader runs it.
type Scheduler struct {
	pool    *pgxpool.Pool
	q       *sqlcgen.Queries
	disp    *Dispatcher
	logger  *slog.Logger
	catchUp time.Duration
	// Metrics, if set, counts missed slots.
	Metrics *Metrics

	mu      sync.Mutex
	cron    *cron.Cron
	entries map[int64]*entry
	ctx     context.Context
	started bool // the cron table runs; only Run's goroutine reads or writes it
	// firing are the entries fireSoon runs outside the cron table, waited for when Run returns.
	firing sync.WaitGroup
}

// NewScheduler returns a scheduler. catchUp is how old a missed slot may be and still run once
// when the scheduler starts; zero turns catching up off.
func NewScheduler(pool *pgxpool.Pool, disp *Dispatcher, catchUp time.Duration, logger *slog.Logger) *Scheduler {
	return &Scheduler{pool: pool, q: sqlcgen.New(pool), disp: disp, catchUp: catchUp, logger: logger}
}

// Run schedules every job until ctx is done: it loads the jobs, catches up on missed slots, and
// follows changes made by any replica. Once the jobs are loaded it goes on through a database
// outage: the cron table keeps firing, and the dispatcher holds what it cannot store.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	s.entries = map[int64]*entry{}
	s.started = false
	s.cron = cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(cronLogger{s.logger})))
	s.mu.Unlock()
	if _, err := retryDB(ctx, s.logger, "load jobs", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.resync(ctx)
	}); err != nil {
		return err
	}
	s.startTable()
	s.started = true
	defer func() { <-s.cron.Stop().Done(); s.firing.Wait() }()
	s.logger.Info("Scheduler started", "jobs", len(s.entries))
	// Every slot already passed is missed, but for those startTable just handed over: the (job,
	// slot) key makes one run of each, if the catch-up looks at it too.
	s.catchUpMissed(ctx, 0)

	changed := make(chan int64, 256)
	following := make(chan struct{})
	go func() { defer close(following); s.keepListening(ctx, changed) }()
	defer func() { <-following }()
	resync := time.NewTicker(resyncEvery)
	defer resync.Stop()
	held := time.NewTicker(heldCheckEvery)
	defer held.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-changed:
			s.follow(ctx, id)
		case <-resync.C:
			if err := s.resync(ctx); err != nil {
				s.logger.Warn("Resync jobs failed", "error", err)
			}
			// Slots of the last few seconds may still be on their way through the dispatcher.
			s.catchUpMissed(ctx, 5*time.Second)
		case <-held.C:
			s.checkHeld(ctx)
		}
	}
}

// keepListening passes the id of every changed job on to changed until ctx is done, over a
// listening connection of its own. When that breaks (a database outage, a failover) it listens
// again, with backoff, and asks for a full resync, since changes made meanwhile were not heard.
func (s *Scheduler) keepListening(ctx context.Context, changed chan<- int64) {
	backoff := retry.WithCappedDuration(5*time.Second, retry.NewExponential(250*time.Millisecond))
	first := true
	_ = retry.Do(ctx, backoff, func(ctx context.Context) error {
		err := s.listen(ctx, changed, !first)
		first = false
		if ctx.Err() != nil {
			return nil
		}
		s.logger.Warn("Listening for job changes failed; listening again", "error", err)
		return retry.RetryableError(err)
	})
}

// listen listens on a new connection until it fails or ctx is done, and returns why it stopped.
// The connection is closed afterwards, not pooled: it would go on receiving notifications.
func (s *Scheduler) listen(ctx context.Context, changed chan<- int64, resync bool) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}()
	if err := sqlcgen.New(conn).JobListen(ctx); err != nil {
		return err
	}
	if resync {
		select {
		case changed <- allJobs:
		case <-ctx.Done():
		}
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheckEvery)
		n, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			if err := checkWritable(ctx, conn); err != nil {
				return err
			}
			continue
		}
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
	e.cronID = s.cron.Schedule(aheadSchedule{sched}, e)
	s.mu.Lock()
	s.entries[row.ID] = e
	s.mu.Unlock()
	if s.started {
		s.fireSoon(e)
	}
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

// cronLogger lets robfig/cron report through slog (it reports recovered panics).
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "error", err)...)
}
