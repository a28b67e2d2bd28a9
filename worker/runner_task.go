package worker

import (
	"encoding/json"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// taskOf is the task a claimed run's attempt executes: the run, its job, its params and, for a run
// made after another job's run, that run.
func taskOf(c sqlcgen.RunClaimRow) task.Task {
	t := task.Task{
		RunID:          c.ID,
		JobID:          c.JobID,
		JobName:        c.Name,
		Attempt:        int(c.Attempts),
		ScheduledAt:    c.ScheduledAt,
		Payload:        c.Payload,
		IdempotencyKey: idempotencyKey(c.JobID, c.ID),
		SigningSecret:  deref(c.SigningSecret),
		Params:         runParams(c.Params),
	}
	if c.TriggerRunID != nil {
		t.Trigger = &task.Trigger{RunID: *c.TriggerRunID, JobID: c.TriggerJobID, Status: c.TriggerStatus}
	}
	return t
}

// runParams reads a run's params as stored (a JSON object of strings); anything else is none.
func runParams(raw []byte) map[string]string {
	params := map[string]string{}
	_ = json.Unmarshal(raw, &params)
	return params
}
