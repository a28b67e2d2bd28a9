package worker

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// The Scheduler's cron table, kept in line with the jobs in the database: loaded in full when the
// scheduler starts and every resyncEvery, and one job at a time as change notifications come
// (scheduler_listen.go). The entries themselves are in scheduler_entry.go.

// bulkAdd is how many jobs new to the cron table make the scheduler add them with it stopped.
const bulkAdd = 100

// allJobs stands for a notification about every job ('*', which an import sends once).
const allJobs = 0

// start loads the jobs into a new cron table, waiting out the database, starts the table, and
// catches up on the slots that passed while no scheduler ran.
func (s *Scheduler) start(ctx context.Context) error {
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
	s.logger.Info("Scheduler started", "jobs", len(s.entries))
	// Every slot already passed is missed, but for those startTable just handed over: the (job,
	// slot) key makes one run of each, if the catch-up looks at it too.
	s.catchUpMissed(ctx, 0)
	return nil
}

// stop stops the cron table and waits for the entries firing outside it.
func (s *Scheduler) stop() {
	<-s.cron.Stop().Done()
	s.firing.Wait()
}

// resync compares every job with the cron table.
func (s *Scheduler) resync(ctx context.Context) error {
	rows, err := s.q.JobScheduleList(ctx)
	if err != nil {
		return err
	}
	seen := make(map[int64]bool, len(rows))
	paused := s.pauseForBulk(rows)
	for _, row := range rows {
		seen[row.ID] = true
		s.apply(row)
	}
	if paused {
		// A slot that came due in the moment the table was stopped is handed over now (startTable).
		s.startTable()
		s.catchUpMissed(ctx, 0)
	}
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

// pauseForBulk stops the cron table if rows hold many jobs that need a new entry, and reports
// whether it did; resync starts it again. robfig/cron sorts all its entries each time one is added
// while it runs, so adding the 10,000 jobs of an import to a table of 100,000 would keep the
// scheduler busy for half a minute; with the table stopped it costs one sort when it starts again.
// A slot that came due in the moment it was stopped is handed over as soon as it runs again
// (startTable).
func (s *Scheduler) pauseForBulk(rows []sqlcgen.JobScheduleListRow) bool {
	if !s.started {
		return false
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
		return false
	}
	s.cron.Stop()
	return true
}

// apply brings one job's entry in line with its row: it takes a paused job out, and replaces the
// entry of a job whose version changed.
func (s *Scheduler) apply(row sqlcgen.JobScheduleListRow) {
	s.mu.Lock()
	old := s.entries[row.ID]
	s.mu.Unlock()
	// A job with no cron runs only after another job's runs (its after), never on a schedule.
	if row.Paused || row.Cron == "" {
		s.remove(row.ID)
		return
	}
	if old != nil && old.updatedAt.Equal(row.UpdatedAt) {
		return
	}
	sched, err := jobSchedule(row.ID, row.Cron, row.Timezone, row.JitterMs, row.StartAt, row.EndAt)
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

// jobSchedule is a job's schedule as the scheduler and its catch-up follow it: its cron expression
// with the H tokens resolved for its id, moved by its jitter offset, within its start and end.
func jobSchedule(id int64, spec, tz string, jitterMs int64, startAt, endAt *time.Time) (cron.Schedule, error) {
	j := schedule.Job{ID: id, Cron: spec, Timezone: tz, Jitter: time.Duration(jitterMs) * time.Millisecond}
	if startAt != nil {
		j.StartAt = *startAt
	}
	if endAt != nil {
		j.EndAt = *endAt
	}
	return j.Schedule()
}

// NextSlots are the next n slots of a stored job after from, as the scheduler's entry for it steps
// through them; the schedule preview is tested against it.
func NextSlots(row sqlcgen.JobScheduleListRow, from time.Time, n int) ([]time.Time, error) {
	sched, err := jobSchedule(row.ID, row.Cron, row.Timezone, row.JitterMs, row.StartAt, row.EndAt)
	if err != nil {
		return nil, err
	}
	e := &entry{jobID: row.ID, sched: sched, next: sched.Next(from)} // as apply makes it, from now
	var out []time.Time
	for len(out) < n && !e.next.IsZero() {
		out = append(out, e.step())
	}
	return out, nil
}

// remove takes a job out of the cron table.
func (s *Scheduler) remove(id int64) {
	s.mu.Lock()
	e := s.entries[id]
	delete(s.entries, id)
	s.mu.Unlock()
	if e != nil {
		s.cron.Remove(e.cronID)
	}
}

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
