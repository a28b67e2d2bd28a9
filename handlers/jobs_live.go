package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// handleJobLive serves GET /jobs/{id}/live?before=&after=, the job page's poll every 2 s: its runs
// table, and out of band its header (state and failing badge), its next run and its Health panel,
// so that the page keeps up with its runs without a reload (issue 27).
func handleJobLive(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pathJob(c, q)
		if err != nil {
			return err
		}
		d, health, runs, err := jobLiveParts(c, q, job)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.JobLive(d, health, runs))
	}
}

// jobLiveParts reads the parts of a job's page that change with its runs. The runs table polls
// GET /jobs/{id}/live with its page, instead of the runs page's /runs/table.
func jobLiveParts(c echo.Context, q *sqlcgen.Queries, job sqlcgen.Job) (views.JobDetail, views.JobHealth, views.RunsList, error) {
	ctx := c.Request().Context()
	now := time.Now()
	var d views.JobDetail
	runs, err := runsList(c, q, itoa64(job.ID), "", readCursor(c))
	if err != nil {
		return d, views.JobHealth{}, runs, err
	}
	live := fmt.Sprintf("/jobs/%d/live", job.ID)
	if _, query, ok := strings.Cut(runs.PollURL, "?"); ok {
		live += "?" + query
	}
	runs.PollURL = live
	health, err := jobHealth(ctx, q, job, now)
	if err != nil {
		return d, health, runs, err
	}
	d = toJobDetail(job, requestPath(c), now)
	if d.Failing, err = jobFailing(ctx, q, job.ID, now); err != nil {
		return d, health, runs, fmt.Errorf("failing state of job %d: %w", job.ID, err)
	}
	return d, health, runs, nil
}
