package worker

import (
	"context"

	"github.com/cronflow/cronflow/sqlcgen"
)

// bulkAdd is how many jobs new to the cron table make the scheduler add them with it stopped.
const bulkAdd = 100

// allJobs stands for a notification about every job ('*', which an import sends once).
const allJobs = 0

// follow brings the cron table in line with a change notification: one job's, or every job's.
func (s *Scheduler) follow(ctx context.Context, id int64) {
	if id != allJobs {
		s.syncJob(ctx, id)
		return
	}
	if err := s.resync(ctx); err != nil {
		s.logger.Warn("Resync jobs failed", "error", err)
	}
}

// pauseForBulk stops the cron table if rows hold many jobs that need a new entry, and returns what
// starts it again. robfig/cron sorts all its entries each time one is added while it runs, so adding
// the 10,000 jobs of an import to a table of 100,000 would keep the scheduler busy for half a
// minute; with the table stopped it costs one sort when it starts again. A slot that came due in
// the moment it was stopped is handed over as soon as it runs again (startTable).
func (s *Scheduler) pauseForBulk(ctx context.Context, rows []sqlcgen.JobScheduleListRow) (resume func()) {
	if !s.started {
		return func() {}
	}
	n := 0
	s.mu.Lock()
	for _, row := range rows {
		if e := s.entries[row.ID]; !row.Paused && (e == nil || !e.updatedAt.Equal(row.UpdatedAt)) {
			n++
		}
	}
	s.mu.Unlock()
	if n < bulkAdd {
		return func() {}
	}
	s.cron.Stop()
	return func() {
		s.startTable()
		s.catchUpMissed(ctx, 0)
	}
}
