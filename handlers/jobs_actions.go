package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// maxCountedRuns is how far the delete confirmation counts a job's runs.
const maxCountedRuns = 10000

// handleJobRun serves POST /jobs/{id}/run: a run now, through the same queue as scheduled runs.
// The job page's params form posts params.NAME fields, which override the job's params for this
// run; a name the job does not have is refused as the API refuses it (422).
func handleJobRun(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		params, err := formRunParams(c)
		if err != nil {
			return err
		}
		job, run, err := runNowWithParams(c, q, st, pub, params)
		var pe *store.ProblemsError
		if errors.As(err, &pe) {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "The run was not made: "+problemsText(pe.Problems))
		}
		if err != nil {
			return err
		}
		showSigning(st, &job)
		// The runs tables on the page refresh at once instead of at their next poll.
		c.Response().Header().Set("HX-Trigger", "runs-changed")
		return actionDoneLink(c, q, job, fmt.Sprintf("Run #%d of “%s” is queued.", run.ID, job.Name), fmt.Sprintf("/runs/%d", run.ID))
	}
}

// handleJobPause serves POST /jobs/{id}/pause and /resume. Resuming schedules from now on; slots
// that passed while the job was paused are not caught up.
func handleJobPause(q *sqlcgen.Queries, st *store.Store, paused bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := setPaused(c, st, paused)
		if err != nil {
			return err
		}
		showSigning(st, &job)
		msg := "Paused “" + job.Name + "”: it does not run on its schedule until it is resumed."
		if !paused {
			msg = "Resumed “" + job.Name + "”." + nextRunNote(job, time.Now())
		}
		return actionDone(c, q, job, msg)
	}
}

// actionDone answers a job action. A plain form post goes back where it came from, with a flash
// message. htmx gets the part of the page the action changed (the job's row in the list, or the
// settings on its page, whichever the request targets) with the message beside it.
func actionDone(c echo.Context, q *sqlcgen.Queries, job sqlcgen.Job, flash string) error {
	return actionDoneLink(c, q, job, flash, "")
}

// actionDoneLink is actionDone with a message that links to link, the page of what the action made.
func actionDoneLink(c echo.Context, q *sqlcgen.Queries, job sqlcgen.Job, flash, link string) error {
	back := localPath(c.FormValue("back"), fmt.Sprintf("/jobs/%d", job.ID))
	if !isHTMX(c) {
		setFlashLink(c, flash, link)
		return redirectAfter(c, back, "")
	}
	now := time.Now()
	msg := views.FlashMessage(views.Flash{Kind: "success", Text: flash, Link: link}, true)
	failing, err := jobFailing(c.Request().Context(), q, job.ID, now)
	if err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Target") == "job-detail" {
		d := toJobDetail(job, back, now)
		d.Failing = failing
		return render(c, http.StatusOK, templ.Join(views.JobDetailSection(d), msg))
	}
	row, err := q.JobListRowGet(c.Request().Context(), job.ID)
	if err != nil {
		return fmt.Errorf("get list row of job %d: %w", job.ID, err)
	}
	r := []views.JobRow{toJobRow(row, now)}
	r[0].Tags, r[0].Description = job.Tags, job.Description // issue 27
	if err := decorateJobRows(c.Request().Context(), q, r, now); err != nil {
		return err
	}
	return render(c, http.StatusOK, templ.Join(views.JobRowView(r[0], back), msg))
}

// handleJobDeleteConfirm serves GET /jobs/{id}/delete?back=, which says what deleting the job will
// delete and asks: as a dialog over the page for htmx, as a page of its own otherwise.
func handleJobDeleteConfirm(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		job, err := pathJob(c, q)
		if err != nil {
			return err
		}
		id := job.ID
		n, err := q.RunCountForJob(ctx, sqlcgen.RunCountForJobParams{JobID: id, MaxRows: maxCountedRuns + 1})
		if err != nil {
			return fmt.Errorf("count runs of job %d: %w", id, err)
		}
		d := views.DeleteConfirm{
			ID: id, Name: job.Name, Runs: min(n, maxCountedRuns), RunsCapped: n > maxCountedRuns,
			Back: localPath(c.QueryParam("back"), fmt.Sprintf("/jobs/%d", id)),
		}
		if isHTMX(c) {
			return render(c, http.StatusOK, views.DeleteDialog(d))
		}
		return render(c, http.StatusOK, views.JobDeletePage(newPage(c, "Delete “"+job.Name+"”", "jobs"), d))
	}
}

// handleJobDelete serves POST /jobs/{id}/delete; the job's runs go with it. It goes back where the
// person came from, unless that was the job's own page.
func handleJobDelete(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		job, err := st.DeleteJob(c.Request().Context(), auditActor(c), id)
		if err != nil {
			return err
		}
		back := localPath(c.FormValue("back"), "/jobs")
		own := fmt.Sprintf("/jobs/%d", id)
		if back == own || strings.HasPrefix(back, own+"/") || strings.HasPrefix(back, own+"?") {
			back = "/jobs"
		}
		return redirectAfter(c, back, "Deleted “"+job.Name+"” and its runs.")
	}
}

// setPaused pauses or resumes the job the path names, for the API and the dashboard alike (see
// store.SetPaused).
func setPaused(c echo.Context, st *store.Store, paused bool) (sqlcgen.Job, error) {
	id, err := pathID(c)
	if err != nil {
		return sqlcgen.Job{}, err
	}
	return st.SetPaused(c.Request().Context(), auditActor(c), id, paused)
}

// runNow makes a manual run of the job the path names (see store.RunNow), and publishes it once it
// is committed. It returns the job too, for the caller's answer; the run is read again after
// publishing, so that it shows whether the broker took it.
func runNow(c echo.Context, q *sqlcgen.Queries, st *store.Store, pub RunPublisher) (sqlcgen.Job, sqlcgen.Run, error) {
	return runNowWithParams(c, q, st, pub, nil)
}

// runNowWithParams is runNow with params that override the job's for this run (nil: none).
func runNowWithParams(c echo.Context, q *sqlcgen.Queries, st *store.Store, pub RunPublisher, params json.RawMessage) (sqlcgen.Job, sqlcgen.Run, error) {
	jobID, err := pathID(c)
	if err != nil {
		return sqlcgen.Job{}, sqlcgen.Run{}, err
	}
	ctx := c.Request().Context()
	job, run, err := st.RunNowWithParams(ctx, auditActor(c), jobID, params)
	if err != nil {
		return job, run, err
	}
	pub.Publish(ctx, []runmsg.Message{{RunID: run.ID, JobID: run.JobID}})
	if fresh, err := q.RunGet(ctx, run.ID); err == nil {
		run = fresh
	}
	return job, run, nil
}
