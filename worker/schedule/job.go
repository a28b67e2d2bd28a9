package schedule

import (
	"errors"
	"time"

	"github.com/robfig/cron/v3"
)

// MaxJitter bounds a job's jitter.
const MaxJitter = time.Hour

// Job is what of a job decides its slots. The scheduler, the catch-up, the job's next run and the
// schedule preview all get a job's slots from Job.Schedule, so that they cannot disagree.
type Job struct {
	// ID is the job's id, from which its H tokens and its jitter offset are chosen; 0 for a job
	// not stored yet.
	ID             int64
	Cron, Timezone string
	// Jitter delays every slot by the same offset in [0, Jitter), chosen from the id.
	Jitter time.Duration
	// StartAt and EndAt, unless zero, bound the slots: none before StartAt, none after EndAt.
	StartAt, EndAt time.Time
}

// Schedule parses the job's schedule: its cron expression with the H tokens resolved for its id,
// in its time zone, every slot moved by its jitter offset, within its start and end.
func (j Job) Schedule() (cron.Schedule, error) {
	if err := j.checkJitter(); err != nil {
		return nil, err
	}
	s, err := parseFor(j.Cron, j.Timezone, j.ID)
	if err != nil {
		return nil, err
	}
	return j.bound(s), nil
}

// bound moves a parsed schedule by the job's jitter offset and bounds it by its start and end. A
// job with neither gets the parsed schedule itself, which jobs that share it (Cache) then share.
func (j Job) bound(s cron.Schedule) cron.Schedule {
	offset := JitterOffset(j.ID, j.Jitter)
	if offset == 0 && j.StartAt.IsZero() && j.EndAt.IsZero() {
		return s
	}
	return jobSchedule{inner: s, offset: offset, start: j.StartAt, end: j.EndAt}
}

// checkJitter refuses a jitter out of bounds.
func (j Job) checkJitter() error {
	if j.Jitter < 0 || j.Jitter > MaxJitter {
		return errors.New("jitter must be from 0s to 1h")
	}
	return nil
}

// JitterOffset is the job's stable delay in [0, jitter): a whole number of seconds chosen from a
// hash of its id (a jitter under a second gives none), the same on every replica and after every
// restart. The delay is the same for every slot, so slots keep their order and a slot stays a key.
func JitterOffset(jobID int64, jitter time.Duration) time.Duration {
	secs := uint64(jitter / time.Second)
	if secs == 0 {
		return 0
	}
	return time.Duration(hashOf("jitter", jobID)%secs) * time.Second
}

// jobSchedule is a parsed schedule moved by a fixed offset and bounded by a start and an end.
type jobSchedule struct {
	inner      cron.Schedule
	offset     time.Duration
	start, end time.Time
}

// Next returns the first slot strictly after t, or the zero time past the end.
func (s jobSchedule) Next(t time.Time) time.Time {
	if !s.start.IsZero() && t.Before(s.start) {
		t = s.start.Add(-time.Nanosecond)
	}
	n := s.inner.Next(t.Add(-s.offset))
	if n.IsZero() {
		return n
	}
	n = n.Add(s.offset)
	if !s.end.IsZero() && n.After(s.end) {
		return time.Time{}
	}
	return n
}
