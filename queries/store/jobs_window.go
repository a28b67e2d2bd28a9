package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// A job's jitter and windows (issue 21): when its slots fall, besides its cron expression.

// MaxBlackouts bounds a job's blackouts.
const MaxBlackouts = 100

// Blackout is a stretch of time whose slots are recorded as skipped runs, reason "blackout", and
// not executed: From is in it, To is not.
type Blackout struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// timeHint is what a time field takes, for its problems.
const timeHint = "must be an RFC 3339 time such as 2027-01-02T03:04:05Z, or null"

// validWindow reads the jitter, start_at, end_at and blackouts into spec.
func (in JobInput) validWindow(spec *JobSpec, problems map[string]string) {
	spec.Jitter = durationField(problems, "jitter", orDefault(in.Jitter, `"0s"`), 0, schedule.MaxJitter)
	if problems["jitter"] != "" || spec.Jitter%time.Second != 0 {
		problems["jitter"] = "must be a whole number of seconds from 0s to 1h, such as 30s or 5m"
	}
	spec.StartAt = timeField(problems, "start_at", in.StartAt)
	spec.EndAt = timeField(problems, "end_at", in.EndAt)
	if spec.StartAt != nil && spec.EndAt != nil && !spec.EndAt.After(*spec.StartAt) {
		problems["end_at"] = "must be after start_at"
	}
	spec.Blackouts = blackoutsField(problems, in.Blackouts)
}

// timeField reads an RFC 3339 time or null; it answers the time in UTC, or nil.
func timeField(problems map[string]string, field string, raw json.RawMessage) *time.Time {
	if !present(raw) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		problems[field] = timeHint
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		problems[field] = timeHint
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond) // what the database keeps
	return &t
}

// blackoutsField reads up to MaxBlackouts {"from", "to"} ranges, each from before to.
func blackoutsField(problems map[string]string, raw json.RawMessage) []Blackout {
	if !present(raw) {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		problems["blackouts"] = `must be a list of {"from": …, "to": …} ranges of RFC 3339 times`
		return nil
	}
	if len(items) > MaxBlackouts {
		problems["blackouts"] = fmt.Sprintf("must be at most %d ranges", MaxBlackouts)
		return nil
	}
	out := make([]Blackout, 0, len(items))
	for i, item := range items {
		var b struct{ From, To json.RawMessage }
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.DisallowUnknownFields()
		itemProblems := map[string]string{}
		if err := dec.Decode(&b); err != nil {
			problems["blackouts"] = fmt.Sprintf(`has range %d that is not {"from": …, "to": …}: %v`, i+1, err)
			return nil
		}
		from, to := timeField(itemProblems, "from", b.From), timeField(itemProblems, "to", b.To)
		switch {
		case from == nil || to == nil:
			problems["blackouts"] = fmt.Sprintf("has range %d whose from and to must both be RFC 3339 times such as 2027-01-02T03:04:05Z", i+1)
			return nil
		case !to.After(*from):
			problems["blackouts"] = fmt.Sprintf("has range %d whose to is not after its from", i+1)
			return nil
		}
		out = append(out, Blackout{From: *from, To: *to})
	}
	return out
}

// blackoutsJSON is the blackouts as the jobs table keeps them.
func blackoutsJSON(b []Blackout) []byte {
	if len(b) == 0 {
		return []byte("[]")
	}
	raw, _ := json.Marshal(b)
	return raw
}

// JobBlackouts reads a stored job's blackouts.
func JobBlackouts(j sqlcgen.Job) []Blackout {
	var out []Blackout
	_ = json.Unmarshal(j.Blackouts, &out)
	return out
}

// schedule is the job's schedule once it has the id id (0 before it is stored): its H tokens and
// jitter offset depend on it.
func (s JobSpec) schedule(id int64) (cron.Schedule, error) {
	return schedule.Job{ID: id, Cron: s.Cron, Timezone: s.Timezone, Jitter: s.Jitter,
		StartAt: orZero(s.StartAt), EndAt: orZero(s.EndAt)}.Schedule()
}

// JobSchedule is a stored job's schedule, as the scheduler computes it.
func JobSchedule(j sqlcgen.Job) (cron.Schedule, error) {
	return schedule.Job{ID: j.ID, Cron: j.Cron, Timezone: j.Timezone, Jitter: time.Duration(j.JitterMs) * time.Millisecond,
		StartAt: orZero(j.StartAt), EndAt: orZero(j.EndAt)}.Schedule()
}

// nextRun is the job's first slot after now, in UTC, or nil if it has none left.
func nextRun(sched cron.Schedule, now time.Time) *time.Time {
	next := sched.Next(now)
	if next.IsZero() {
		return nil
	}
	next = next.UTC()
	return &next
}

// fixNextRun sets a job's next run as its id makes it: a job's H tokens and jitter are chosen from
// its id, which it does not have before it is stored.
func fixNextRun(ctx context.Context, q *sqlcgen.Queries, job sqlcgen.Job, now time.Time) (sqlcgen.Job, error) {
	sched, err := JobSchedule(job)
	if err != nil || job.Paused {
		return job, nil
	}
	next := nextRun(sched, now)
	if (next == nil) == (job.NextRunAt == nil) && (next == nil || next.Equal(*job.NextRunAt)) {
		return job, nil
	}
	job, err = q.JobSetNextRun(ctx, sqlcgen.JobSetNextRunParams{ID: job.ID, NextRunAt: next})
	if err != nil {
		return job, fmt.Errorf("set next run of job %d: %w", job.ID, err)
	}
	return job, nil
}

// ValidSchedule checks the schedule fields of a job (cron or hour and minute, timezone, jitter,
// start_at, end_at) as Valid does, and answers the job's schedule as the scheduler will follow it
// once the job has the id id (0: not stored yet), or the problems by field. The schedule preview
// and the form's live check use it.
func (in JobInput) ValidSchedule(id int64, now time.Time) (cron.Schedule, map[string]string) {
	problems := map[string]string{}
	spec := JobSpec{Timezone: strings.TrimSpace(in.Timezone)}
	if spec.Timezone == "" {
		spec.Timezone = "UTC"
	}
	in.validWindow(&spec, problems)
	in.validSchedule(&spec, problems, now)
	if len(problems) > 0 {
		return nil, problems
	}
	sched, err := spec.schedule(id)
	if err != nil {
		problems["cron"] = err.Error()
		return nil, problems
	}
	return sched, problems
}
