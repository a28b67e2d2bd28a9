package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// runJSON is a run as the API shows it.
type runJSON struct {
	ID            int64            `json:"id"`
	JobID         int64            `json:"job_id"`
	Status        runstatus.Status `json:"status"`
	Trigger       string           `json:"trigger"`
	Attempts      int32            `json:"attempts"`
	RetryCount    int32            `json:"retry_count"`
	ScheduledAt   time.Time        `json:"scheduled_at"`
	PublishedAt   *time.Time       `json:"published_at"`
	StartedAt     *time.Time       `json:"started_at"`
	CompletedAt   *time.Time       `json:"completed_at"`
	NextAttemptAt *time.Time       `json:"next_attempt_at"`
	Output        string           `json:"output"`
	Error         string           `json:"error"`
	// Params are the params the run used (null until it starts, for a run that got none of its
	// own); TriggerRunID is the run it was made after (issue 21).
	Params       map[string]string `json:"params"`
	TriggerRunID *int64            `json:"trigger_run_id"`
}

func toRunJSON(r sqlcgen.Run) runJSON {
	return runJSON{
		ID: r.ID, JobID: r.JobID, Status: r.Status, Trigger: r.Trigger, Attempts: r.Attempts,
		RetryCount: r.RetryCount, ScheduledAt: r.ScheduledAt, PublishedAt: r.PublishedAt,
		StartedAt: r.StartedAt, CompletedAt: r.CompletedAt, NextAttemptAt: r.NextAttemptAt,
		Output: r.Output, Error: r.Error, Params: runParams(r.Params), TriggerRunID: r.TriggerRunID,
	}
}

// runParams reads a run's stored params; none stored is nil.
func runParams(raw []byte) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	return jobParams(raw)
}

// handleAPIRunList serves GET /api/runs?job_id=&status=&tag=&limit=&before=, newest first.
func handleAPIRunList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit, before, jobID, problems := newestPageParams(c)
		status, ok := runstatus.Parse(c.QueryParam("status"))
		if !ok && c.QueryParam("status") != "" {
			problems["status"] = "must be one of " + statusList()
		}
		tag := tagParam(c, problems)
		if len(problems) > 0 {
			return badQuery(c, problems)
		}
		var runs []sqlcgen.Run
		var err error
		if tag != "" { // the runs of jobs with the tag (issue 27)
			runs, err = q.RunListByTag(c.Request().Context(), sqlcgen.RunListByTagParams{Tag: tag, JobID: nonZero(jobID),
				Status: nonEmpty(string(status)), BeforeID: before, MaxRows: int32(limit) + 1})
		} else {
			runs, err = listRuns(c.Request().Context(), q, jobID, status, before, int32(limit)+1)
		}
		if err != nil {
			return err
		}
		out := struct {
			Runs       []runJSON `json:"runs"`
			NextBefore *int64    `json:"next_before"`
		}{Runs: []runJSON{}}
		if len(runs) > limit {
			runs = runs[:limit]
			out.NextBefore = &runs[limit-1].ID
		}
		for _, r := range runs {
			out.Runs = append(out.Runs, toRunJSON(r))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// listRuns runs the query for the filters given: one query per shape keeps each on its index.
func listRuns(ctx context.Context, q *sqlcgen.Queries, jobID int64, status runstatus.Status, before int64, limit int32) ([]sqlcgen.Run, error) {
	switch {
	case jobID > 0 && status != "":
		return q.RunListByJobAndStatus(ctx, sqlcgen.RunListByJobAndStatusParams{JobID: jobID, Status: status, BeforeID: before, MaxRows: limit})
	case jobID > 0:
		return q.RunListByJob(ctx, sqlcgen.RunListByJobParams{JobID: jobID, BeforeID: before, MaxRows: limit})
	case status != "":
		return q.RunListByStatus(ctx, sqlcgen.RunListByStatusParams{Status: status, BeforeID: before, MaxRows: limit})
	}
	return q.RunList(ctx, sqlcgen.RunListParams{BeforeID: before, MaxRows: limit})
}

// statusList names every run status, for the API's error about a status filter.
func statusList() string {
	names := make([]string, 0, len(runstatus.All()))
	for _, s := range runstatus.All() {
		names = append(names, s.String())
	}
	return strings.Join(names, ", ")
}

// handleAPIRunGet serves GET /api/runs/{id}: the run with its attempt_history.
func handleAPIRunGet(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		run, err := q.RunGet(c.Request().Context(), id)
		if err != nil {
			return err
		}
		attempts, err := runAttempts(c.Request().Context(), q, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, runDetailJSON{runJSON: toRunJSON(run), AttemptHistory: toAttemptsJSON(attempts)})
	}
}

// handleAPIStats serves GET /api/stats: the number of jobs and of runs in each status.
func handleAPIStats(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		jobs, err := q.JobCount(ctx)
		if err != nil {
			return err
		}
		counts, err := q.RunCountByStatus(ctx)
		if err != nil {
			return err
		}
		runs := make(map[runstatus.Status]int64, len(runstatus.All()))
		for _, s := range runstatus.All() {
			runs[s] = 0
		}
		for _, row := range counts {
			runs[row.Status] = row.Runs
		}
		return c.JSON(http.StatusOK, map[string]any{"jobs": jobs, "runs": runs})
	}
}
