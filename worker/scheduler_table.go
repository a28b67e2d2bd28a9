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

// The Scheduler's timetable, kept in line with the jobs in the database: read in full when the
// scheduler starts, after an import and whenever the digest of every job (JobScheduleDigest)
// disagrees with the scheduler's, and one job at a time as change notifications come
// (scheduler_listen.go). The timetable itself is in scheduler_entry.go.

// loadPage is how many jobs one query of a full read brings.
const loadPage = 10000

// allJobs stands for a notification about every job ('*', which an import sends once).
const allJobs = 0

// idleJob is a job the scheduler knows of but does not schedule: paused, with no cron, or with a
// schedule it cannot read. It counts in the digest all the same.
type idleJob struct {
	updatedAt time.Time
	pass      uint32
}

// start reads every job into a new timetable, waiting out the database, starts the firing loop,
// and catches up on the slots that passed while no scheduler ran. It answers a channel closed once
// the firing loop has returned, after ctx is done.
func (s *Scheduler) start(ctx context.Context) (<-chan struct{}, error) {
	s.reset(ctx)
	if _, err := retryDB(ctx, s.logger, "load jobs", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.resync(ctx)
	}); err != nil {
		return nil, err
	}
	firing := s.startFiring(ctx)
	s.mu.Lock()
	n := len(s.entries)
	s.mu.Unlock()
	s.logger.Info("Scheduler started", "jobs", n)
	// Every slot already passed is missed, but for those the firing loop hands over late: the
	// (job, slot) key makes one run of each, if the catch-up looks at it too.
	s.catchUpMissed(ctx, 0)
	return firing, nil
}

// reset empties the timetable for a new term.
func (s *Scheduler) reset(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries, s.idle, s.table, s.known = map[int64]*entry{}, map[int64]idleJob{}, nil, digest{}
	s.wake = make(chan struct{}, 1)
	s.specs = schedule.NewCache()
}

// startFiring starts the firing loop, and answers a channel closed once it has returned.
func (s *Scheduler) startFiring(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); s.fire(ctx) }()
	return done
}

// check reads every job again if the digest of the jobs in the database disagrees with the
// scheduler's: a change was missed, or is still on its way (then the read costs time, nothing
// else). Reading a million jobs every minute would cost a share of a core for nothing.
func (s *Scheduler) check(ctx context.Context) error {
	d, err := s.q.JobScheduleDigest(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	known := s.known
	s.mu.Unlock()
	if known == (digest{jobs: d.Jobs, ids: d.Ids, versions: d.Versions}) {
		return nil
	}
	s.logger.Debug("The jobs' digest differs from the scheduler's; reading every job", "jobs", d.Jobs, "known", known.jobs)
	return s.resync(ctx)
}

// resync reads every job, a page at a time, and brings the timetable in line with them: the jobs
// it does not find any more are taken out. Each distinct schedule is parsed once, and its first
// slot reckoned once, for all the jobs that share it.
func (s *Scheduler) resync(ctx context.Context) error {
	now := time.Now()
	s.mu.Lock()
	s.pass++
	pass := s.pass
	s.specs = schedule.NewCache()
	s.mu.Unlock()
	firsts := map[cron.Schedule]time.Time{}
	pages, errc := s.readPages(ctx)
	for rows := range pages {
		for _, row := range rows {
			s.applyAt(row, now, firsts)
		}
		s.nudge()
	}
	if err := <-errc; err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.entries {
		if e.pass != pass {
			s.unput(id)
		}
	}
	for id, j := range s.idle {
		if j.pass != pass {
			s.unidle(id)
		}
	}
	return nil
}

// readPages reads every job, a page at a time, and passes the pages on while it reads the next:
// the database answers while the scheduler takes the page before on. The error channel answers
// once the pages are closed.
func (s *Scheduler) readPages(ctx context.Context) (<-chan []sqlcgen.JobScheduleListRow, <-chan error) {
	pages, errc := make(chan []sqlcgen.JobScheduleListRow, 1), make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(pages)
		for after := int64(0); ; {
			rows, err := s.q.JobScheduleList(ctx, sqlcgen.JobScheduleListParams{AfterID: after, MaxRows: loadPage})
			if err != nil {
				errc <- err
				return
			}
			pages <- rows
			if len(rows) < loadPage {
				return
			}
			after = rows[len(rows)-1].ID
		}
	}()
	return pages, errc
}

// apply brings one job's entry in line with its row: it takes a paused job out, and replaces the
// entry of a job whose version changed, its next slot the first after now.
func (s *Scheduler) apply(row sqlcgen.JobScheduleListRow) {
	s.applyAt(row, time.Now(), nil)
	s.nudge()
}

// applyAt is apply with the next slot the first after now. firsts, unless nil, keeps the first
// slot after now of each schedule, shared by the jobs that share the schedule.
func (s *Scheduler) applyAt(row sqlcgen.JobScheduleListRow, now time.Time, firsts map[cron.Schedule]time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A job with no cron runs only after another job's runs (its after), never on a schedule.
	if row.Paused || row.Cron == "" {
		s.unput(row.ID)
		s.setIdle(row.ID, row.UpdatedAt)
		return
	}
	if e := s.entries[row.ID]; e != nil && e.updatedAt.Equal(row.UpdatedAt) {
		e.pass = s.pass
		return
	}
	if j, ok := s.idle[row.ID]; ok && j.updatedAt.Equal(row.UpdatedAt) {
		s.idle[row.ID] = idleJob{row.UpdatedAt, s.pass} // its schedule could not be read before either
		return
	}
	sched, err := s.specs.Schedule(scheduleJob(row.ID, row.Cron, row.Timezone, row.JitterMs, row.StartAt, row.EndAt))
	if err != nil {
		s.logger.Error("Job has an invalid schedule; not scheduled", "job_id", row.ID, "cron", row.Cron, "error", err)
		s.unput(row.ID)
		s.setIdle(row.ID, row.UpdatedAt)
		return
	}
	next, ok := firsts[sched]
	if !ok {
		next = sched.Next(now)
		if firsts != nil {
			firsts[sched] = next
		}
	}
	s.unidle(row.ID)
	s.put(&entry{jobID: row.ID, updatedAt: row.UpdatedAt, sched: sched, next: next, pass: s.pass})
}

// setIdle notes a job the scheduler knows of but does not schedule; s.mu is held.
func (s *Scheduler) setIdle(id int64, updatedAt time.Time) {
	s.unidle(id)
	s.idle[id] = idleJob{updatedAt, s.pass}
	s.known.in(id, updatedAt)
}

// unidle forgets an idle job; s.mu is held.
func (s *Scheduler) unidle(id int64) {
	if j, ok := s.idle[id]; ok {
		delete(s.idle, id)
		s.known.out(id, j.updatedAt)
	}
}

// remove forgets a job that is gone.
func (s *Scheduler) remove(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unput(id)
	s.unidle(id)
}

// scheduleJob is what of a stored job decides its slots.
func scheduleJob(id int64, spec, tz string, jitterMs int64, startAt, endAt *time.Time) schedule.Job {
	j := schedule.Job{ID: id, Cron: spec, Timezone: tz, Jitter: time.Duration(jitterMs) * time.Millisecond}
	if startAt != nil {
		j.StartAt = *startAt
	}
	if endAt != nil {
		j.EndAt = *endAt
	}
	return j
}

// jobSchedule is a job's schedule as the scheduler and its catch-up follow it: its cron expression
// with the H tokens resolved for its id, moved by its jitter offset, within its start and end.
func jobSchedule(id int64, spec, tz string, jitterMs int64, startAt, endAt *time.Time) (cron.Schedule, error) {
	return scheduleJob(id, spec, tz, jitterMs, startAt, endAt).Schedule()
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

// follow brings the timetable in line with a change notification: one job's, or every job's.
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
