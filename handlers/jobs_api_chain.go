package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// The API of issue 21's run-to-run features (sched-b): a job's overlap, after, params,
// pause_after_failures and paused_reason; Run now with params; backfill.

// jobAfter is a job's after as the API shows it, or nil.
func jobAfter(j sqlcgen.Job) *store.After {
	if j.AfterJobID == nil {
		return nil
	}
	return &store.After{JobID: *j.AfterJobID, On: j.AfterOn}
}

// jobParams reads stored params (a JSON object of strings); nil or bad is none.
func jobParams(raw []byte) map[string]string {
	params := map[string]string{}
	_ = json.Unmarshal(raw, &params)
	return params
}

// runNowBody is the optional body of POST /api/jobs/{id}/run.
type runNowBody struct {
	Params json.RawMessage `json:"params"`
}

// problemsOf answers 422 for a *store.ProblemsError, and reports whether err was one.
func problemsOf(c echo.Context, err error) (bool, error) {
	var pe *store.ProblemsError
	if errors.As(err, &pe) {
		return true, invalid(c, pe.Problems)
	}
	return false, err
}

// handleAPIJobBackfill serves POST /api/jobs/{id}/backfill {"from", "to"}: one run per slot of
// the job's schedule in [from, to), at most 10,000; slots that already have a run keep it. 202 with
// {"created": n, "existing": m}.
func handleAPIJobBackfill(st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		var in struct {
			From json.RawMessage `json:"from"`
			To   json.RawMessage `json:"to"`
		}
		problems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		if problems == nil {
			problems = map[string]string{}
		}
		from, to := timeField(problems, "from", in.From), timeField(problems, "to", in.To)
		if len(problems) > 0 {
			return invalid(c, problems)
		}
		ctx := c.Request().Context()
		done, err := st.Backfill(ctx, auditActor(c), id, from, to)
		if answered, err := problemsOf(c, err); answered || err != nil {
			return err
		}
		msgs := make([]runmsg.Message, len(done.Created))
		for i, r := range done.Created {
			msgs[i] = runmsg.Message{RunID: r.ID, JobID: r.JobID}
		}
		pub.Publish(ctx, msgs)
		return c.JSON(http.StatusAccepted, map[string]int{"created": len(done.Created), "existing": done.Existing})
	}
}

// timeField reads a required RFC 3339 time.
func timeField(problems map[string]string, field string, raw json.RawMessage) time.Time {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		problems[field] = "is required: a time in RFC 3339, such as 2026-12-01T00:00:00Z"
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		problems[field] = "must be a time in RFC 3339, such as 2026-12-01T00:00:00Z"
	}
	return t
}
