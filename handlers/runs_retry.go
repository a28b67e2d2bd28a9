package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// Bounds of a bulk retry: the ids one request may list, and the runs of a job one request retries
// (the answer says how many; send it again for the rest).
const (
	maxRetryIDs   = 1000
	maxRetryByJob = 10000
)

// retryableNames are the statuses a run can be retried from by hand; the retry queries in
// queries/runs.sql name the same. missed counts where this build has that status.
var retryableNames = []string{"permanently_failed", "missed"}

// retryable reports whether a run in status s can be retried by hand.
func retryable(s runstatus.Status) bool { return slices.Contains(retryableNames, string(s)) }

// retryableList names the statuses that can be retried, for problems and refusals.
func retryableList() string {
	var names []string
	for _, s := range runstatus.All() {
		if retryable(s) {
			names = append(names, s.String())
		}
	}
	return strings.Join(names, " or ")
}

// retryRun puts a run that failed for good (or was missed) back in the queue (see
// store.RetryRun), publishes it once that is committed, and returns it as it is now. Any other run
// is refused with 409, saying why.
func retryRun(c echo.Context, st *store.Store, q *sqlcgen.Queries, pub RunPublisher, id int64) (sqlcgen.Run, error) {
	ctx := c.Request().Context()
	run, err := st.RetryRun(ctx, auditActor(c), id)
	var refused *store.NotRetryableError
	if errors.As(err, &refused) {
		return run, echo.NewHTTPError(http.StatusConflict, fmt.Sprintf(
			"Run %d is %s: only a run that is %s can be retried.", id, refused.Status, retryableList()))
	}
	if err != nil {
		return run, err
	}
	pub.Publish(ctx, []runmsg.Message{{RunID: run.ID, JobID: run.JobID}})
	if fresh, err := q.RunGet(ctx, run.ID); err == nil {
		run = fresh
	}
	return run, nil
}

// retryInput is the body of POST /api/runs/retry: the runs by id, or a job's runs in a status.
type retryInput struct {
	IDs    []int64 `json:"ids"`
	JobID  *int64  `json:"job_id"`
	Status string  `json:"status"`
}

// Valid checks the input and returns the status to retry a job's runs from (permanently_failed
// unless given), or problems by field.
func (in retryInput) Valid() (runstatus.Status, map[string]string) {
	problems := map[string]string{}
	switch {
	case in.IDs != nil && in.JobID != nil:
		problems["ids"] = "must be given alone: send either ids, or job_id with status"
	case in.IDs == nil && in.JobID == nil:
		problems["ids"] = "is required, unless job_id is given"
	case in.IDs != nil && (len(in.IDs) == 0 || len(in.IDs) > maxRetryIDs):
		problems["ids"] = fmt.Sprintf("must list 1 to %d run ids", maxRetryIDs)
	case in.IDs != nil && slices.ContainsFunc(in.IDs, func(id int64) bool { return id <= 0 }):
		problems["ids"] = "must list run ids, which are positive numbers"
	case in.JobID != nil && *in.JobID <= 0:
		problems["job_id"] = "must be a job id"
	}
	status := runstatus.PermanentlyFailed
	if in.Status != "" {
		s, ok := runstatus.Parse(in.Status)
		if !ok || !retryable(s) {
			problems["status"] = "must be " + retryableList()
		}
		status = s
	}
	if in.Status != "" && in.JobID == nil {
		problems["status"] = "goes with job_id"
	}
	return status, problems
}

// retryMany retries the runs the input names (see store.RetryRuns) and publishes them once that is
// committed; it returns how many were queued. Runs that cannot be retried (or do not exist) are
// passed over.
func retryMany(c echo.Context, st *store.Store, in retryInput, status runstatus.Status, pub RunPublisher) (int, error) {
	ctx := c.Request().Context()
	rows, err := st.RetryRuns(ctx, auditActor(c), store.RetrySelection{IDs: in.IDs, JobID: in.JobID, Status: status, Limit: maxRetryByJob})
	if err != nil {
		return 0, err
	}
	msgs := make([]runmsg.Message, len(rows))
	for i, r := range rows {
		msgs[i] = runmsg.Message{RunID: r.ID, JobID: r.JobID}
	}
	pub.Publish(ctx, msgs)
	return len(msgs), nil
}

// handleAPIRunRetry serves POST /api/runs/{id}/retry: 202 with the run, queued again; 409 for a
// run that is not permanently failed or missed.
func handleAPIRunRetry(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		run, err := retryRun(c, st, q, pub, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, toRunJSON(run))
	}
}

// handleAPIRunRetryMany serves POST /api/runs/retry with {"ids": [...]} or {"job_id": n,
// "status": "permanently_failed"}: 202 with {"queued": n}.
func handleAPIRunRetryMany(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in retryInput
		decodeProblems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		status, problems := in.Valid()
		for k, v := range decodeProblems {
			problems[k] = v
		}
		ctx := c.Request().Context()
		if len(problems) == 0 && in.JobID != nil {
			if _, err := q.JobGet(ctx, *in.JobID); errors.Is(err, pgx.ErrNoRows) {
				problems["job_id"] = fmt.Sprintf("names no job: there is no job %d", *in.JobID)
			} else if err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The retry is not valid; see fields.", Fields: problems})
		}
		n, err := retryMany(c, st, in, status, pub)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, map[string]int{"queued": n})
	}
}

// handleRunRetry serves POST /runs/{id}/retry, the run page's Retry button; it goes back to the
// run with a message saying what happened.
func handleRunRetry(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		back := localPath(c.FormValue("back"), fmt.Sprintf("/runs/%d", id))
		_, err = retryRun(c, st, q, pub, id)
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusConflict {
			return redirectAfter(c, back, he.Message.(string))
		}
		if err != nil {
			return err
		}
		c.Response().Header().Set("HX-Trigger", "runs-changed")
		return redirectAfter(c, back, fmt.Sprintf("Run #%d is queued again.", id))
	}
}
