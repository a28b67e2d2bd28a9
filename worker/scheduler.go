package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// resyncEvery is how often the scheduler makes sure, by a digest of every job (JobScheduleDigest),
// that it missed no change; it reads every job again only when the digest disagrees.
// Notifications make changes take effect at once.
const resyncEvery = time.Minute

// Scheduler keeps a timetable of every active job's next slot (scheduler_entry.go) and hands each
// slot to the dispatcher as it comes due. Only the leader runs it.
type Scheduler struct {
	pool    *pgxpool.Pool
	q       *sqlcgen.Queries
	disp    *Dispatcher
	logger  *slog.Logger
	catchUp time.Duration
	// Metrics, if set, counts missed slots.
	Metrics *Metrics

	mu      sync.Mutex
	entries map[int64]*entry  // the jobs scheduled, by id
	idle    map[int64]idleJob // the jobs known but not scheduled
	table   timetable
	known   digest // of the jobs in entries and idle, as JobScheduleDigest sums them up
	pass    uint32 // the full read going on or last made (resync)
	// wake tells the firing loop that the timetable changed.
	wake chan struct{}
	// specs parses the schedules of the jobs read, anew for each full read.
	specs *schedule.Cache
}

// NewScheduler returns a scheduler. catchUp is how old a missed slot may be and still run once
// when the scheduler starts; zero turns catching up off.
func NewScheduler(pool *pgxpool.Pool, disp *Dispatcher, catchUp time.Duration, logger *slog.Logger) *Scheduler {
	return &Scheduler{pool: pool, q: sqlcgen.New(pool), disp: disp, catchUp: catchUp, logger: logger}
}

// Run schedules every job until ctx is done: it listens for changes, loads the jobs, catches up
// on missed slots, and follows the changes made by any replica. It listens before it loads, so
// that the load is the only full read and no change is missed: one made during the load is heard
// and applied after it. Once the jobs are loaded it goes on through a database outage: the
// timetable keeps firing, and the dispatcher holds what it cannot store.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	changed := make(chan int64, 256)
	listening, following := make(chan struct{}), make(chan struct{})
	go func() { defer close(following); s.keepListening(ctx, changed, listening) }()
	var firing <-chan struct{}
	defer func() {
		cancel()
		if firing != nil {
			<-firing
		}
		<-following
	}()
	select {
	case <-listening:
	case <-ctx.Done():
		return nil
	}
	var err error
	if firing, err = s.start(ctx); err != nil {
		return err
	}
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
			if err := s.check(ctx); err != nil {
				s.logger.Warn("Resync jobs failed", "error", err)
			}
			// Slots of the last few seconds may still be on their way through the dispatcher.
			s.catchUpMissed(ctx, 5*time.Second)
		case <-held.C:
			s.checkHeld(ctx)
		}
	}
}
