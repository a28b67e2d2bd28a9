package dbtest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/schedule"
)

// Job returns the parameters of a valid job of a task type, due in an hour in UTC with the default
// retries and timeout, for InsertJob to store (after the test changes what it is about).
func Job(name, taskType, payload, cron string) sqlcgen.JobInsertParams {
	next := time.Now().Add(time.Hour).UTC()
	return sqlcgen.JobInsertParams{
		Name: name, Type: taskType, Payload: json.RawMessage(payload), Cron: cron, Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, Catchup: schedule.CatchupLatest, NextRunAt: &next,
	}
}

// InsertJob stores a job directly, failing the test if the database refuses it.
func InsertJob(t testing.TB, q *sqlcgen.Queries, p sqlcgen.JobInsertParams) sqlcgen.Job {
	t.Helper()
	j, err := q.JobInsert(context.Background(), p)
	if err != nil {
		t.Fatalf("insert job %q: %v", p.Name, err)
	}
	return j
}

// InsertRun makes a manual run of a job and takes it to status through the worker's own queries
// (see FinishRun), so that the row is one the worker could have written.
func InsertRun(t testing.TB, q *sqlcgen.Queries, jobID int64, status runstatus.Status, output, errText string) sqlcgen.Run {
	t.Helper()
	r, err := q.RunInsertManual(context.Background(), jobID)
	if err != nil {
		t.Fatalf("insert run of job %d: %v", jobID, err)
	}
	return FinishRun(t, q, r.ID, status, output, errText)
}

// FinishRun takes a queued run through one attempt to status: running claims it; completed,
// failed (its retry a minute away) and permanently_failed also record the attempt's output and
// error. Queued leaves the run as it is.
func FinishRun(t testing.TB, q *sqlcgen.Queries, runID int64, status runstatus.Status, output, errText string) sqlcgen.Run {
	t.Helper()
	ctx := context.Background()
	if status != runstatus.Queued {
		claims, err := q.RunClaim(ctx, sqlcgen.RunClaimParams{Ids: []int64{runID}, LeaseMarginMs: 60000})
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim run %d: %d claimed, %v", runID, len(claims), err)
		}
		if status != runstatus.Running {
			// A failed attempt's retry is a minute away.
			recorded, err := q.RunRecordResults(ctx, sqlcgen.RunRecordResultsParams{Ids: []int64{runID},
				Attempts: []int32{claims[0].Attempts}, Statuses: []string{string(status)}, Outputs: []string{output},
				Errors: []string{errText}, RetryDelaysMs: []int64{60000}})
			if err != nil || len(recorded) != 1 {
				t.Fatalf("take run %d to %s: %d recorded, %v", runID, status, len(recorded), err)
			}
		}
	}
	r, err := q.RunGet(ctx, runID)
	if err != nil || r.Status != status {
		t.Fatalf("run %d is %q (%v), want %s", runID, r.Status, err, status)
	}
	return r
}
