package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/sqlcgen"
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
	if err := s.start(ctx); err != nil {
		return err
	}
	defer s.stop()
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

// cronLogger lets robfig/cron report through slog (it reports recovered panics).
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "error", err)...)
}
