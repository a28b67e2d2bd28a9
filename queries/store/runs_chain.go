package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Run now with params, and backfill (issue 21, sched-b).

// ProblemsError is a request refused for problems by field, found where the data is (a run's
// params against its job's, a backfill's window against its job's schedule).
type ProblemsError struct {
	Problems map[string]string
}

func (e *ProblemsError) Error() string { return fmt.Sprintf("%d problems", len(e.Problems)) }

// RunNowWithParams is RunNow with params that override the job's for this run (raw is the
// request's "params", absent or null for none); a name the job does not have is a
// *ProblemsError. The run keeps the params it uses.
func (s *Store) RunNowWithParams(ctx context.Context, actor string, jobID int64, raw json.RawMessage) (sqlcgen.Job, sqlcgen.Run, error) {
	if !present(raw) {
		return s.RunNow(ctx, actor, jobID)
	}
	var job sqlcgen.Job
	var run sqlcgen.Run
	err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		if job, err = q.JobGet(ctx, jobID); err != nil {
			return nil, err
		}
		params, problems := ParamOverrides(job.Params, raw)
		if len(problems) > 0 {
			return nil, &ProblemsError{Problems: problems}
		}
		encoded, _ := json.Marshal(params)
		if run, err = q.RunInsertManualWithParams(ctx, sqlcgen.RunInsertManualWithParamsParams{JobID: jobID, Params: encoded}); err != nil {
			return nil, fmt.Errorf("insert run of job %d: %w", jobID, err)
		}
		changes := map[string]FieldChange{"run_id": newValue(run.ID), "params": newValue(params)}
		return []Entry{{Action: "job.run", Subject: job.Name, JobID: &job.ID, Changes: changes}}, nil
	})
	return job, run, err
}

// MaxBackfill bounds the slots one backfill makes runs for.
const MaxBackfill = 10000

// Backfilled is what a backfill did: the runs it made, and how many slots already had one.
type Backfilled struct {
	Created  []sqlcgen.RunInsertBackfillRow
	Existing int
}

// Backfill makes one run per slot of a job's schedule in [from, to), computed by the scheduler's
// own code (package schedule), at most MaxBackfill; a slot that already has a run keeps it. A
// window the job cannot be backfilled for is a *ProblemsError; the caller publishes the runs made
// once this has committed.
func (s *Store) Backfill(ctx context.Context, actor string, jobID int64, from, to time.Time) (Backfilled, error) {
	var out Backfilled
	err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		job, err := q.JobGetForUpdate(ctx, jobID)
		if err != nil {
			return nil, err
		}
		slots, problems := backfillSlots(job, from, to)
		if len(problems) > 0 {
			return nil, &ProblemsError{Problems: problems}
		}
		if out.Created, err = q.RunInsertBackfill(ctx, sqlcgen.RunInsertBackfillParams{JobID: jobID, Slots: slots}); err != nil {
			return nil, fmt.Errorf("backfill job %d: %w", jobID, err)
		}
		out.Existing = len(slots) - len(out.Created)
		changes := map[string]FieldChange{"from": newValue(from), "to": newValue(to),
			"created": newValue(len(out.Created)), "existing": newValue(out.Existing)}
		return []Entry{{Action: "job.backfill", Subject: job.Name, JobID: &job.ID, Changes: changes}}, nil
	})
	return out, err
}

// BackfillSlots are the slots a backfill of [from, to) would make runs for, or the problems with
// the window, so that the dashboard's backfill preview counts what Backfill will do (issue 27).
func BackfillSlots(job sqlcgen.Job, from, to time.Time) ([]time.Time, map[string]string) {
	return backfillSlots(job, from, to)
}

// backfillSlots are the slots of a job's schedule in [from, to), or the problems with the window.
func backfillSlots(job sqlcgen.Job, from, to time.Time) ([]time.Time, map[string]string) {
	if !to.After(from) {
		return nil, map[string]string{"to": "must be after from"}
	}
	if job.Cron == "" {
		return nil, map[string]string{"job": "has no cron: it runs only after another job's runs, and has no slots to backfill"}
	}
	// The job's own schedule, as the scheduler follows it (H tokens and jitter chosen from its id,
	// within start_at and end_at), so that a backfilled slot is the slot the scheduler keys its run by.
	sched, err := JobSchedule(job)
	if err != nil {
		return nil, map[string]string{"job": "has a schedule that does not parse: " + err.Error()}
	}
	var slots []time.Time
	for t := sched.Next(from.Add(-time.Nanosecond)); !t.IsZero() && t.Before(to); t = sched.Next(t) {
		if len(slots) == MaxBackfill {
			return nil, map[string]string{"to": fmt.Sprintf("makes a window of more than %d slots: backfill it in parts", MaxBackfill)}
		}
		slots = append(slots, t.UTC())
	}
	return slots, nil
}
