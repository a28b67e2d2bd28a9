package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// handleJobNewPage serves GET /jobs/new, the form for a new job. With ?from={id} the form starts as
// a copy of that job, which is how a job is cloned: nothing is stored until the form is submitted.
func handleJobNewPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, title := newJobForm(), "New job"
		if from := c.QueryParam("from"); from != "" {
			id, err := strconv.ParseInt(from, 10, 64)
			if err != nil || id <= 0 {
				return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no job to copy with that id.")
			}
			job, err := q.JobGet(c.Request().Context(), id)
			if err != nil {
				return err
			}
			f = jobFormFromJob(job)
			f.Name = copyName(job.Name)
			f.Clone, f.StartPaused = true, true // a copy must not fire the same webhook at once
			title = "Copy of “" + job.Name + "”"
		}
		view := f.view("/jobs", title, "Create job", "/jobs", nil, time.Now())
		view.Paused = true
		view, err := formExtras(c.Request().Context(), q, view, c.QueryParam("from") == "")
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.JobFormPage(newPage(c, title, "new"), view))
	}
}

// copyName names a clone, within the 200 characters a name may have.
func copyName(name string) string {
	name = "Copy of " + name
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

// handleJobCreate serves POST /jobs: a job from the form. Problems send the form back with 422;
// success goes to the new job's page.
func handleJobCreate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := postedJobForm(c)
		if err != nil {
			return err
		}
		now := time.Now()
		spec, problems := f.Valid(now)
		if err := st.CheckJobRefs(c.Request().Context(), spec, problems); err != nil {
			return err
		}
		if len(problems) > 0 {
			view, nav, err := f.pageView(c.Request().Context(), q, problems, now)
			if err != nil {
				return err
			}
			return formProblems(c, q, view, nav)
		}
		spec.Paused = f.StartPaused
		job, err := st.CreateJob(c.Request().Context(), auditActor(c), spec)
		if err != nil {
			return err
		}
		note := nextRunNote(job, now)
		switch {
		case job.Paused && f.Clone:
			note = " The copy is paused so it does not fire the same webhook; resume it when ready."
		case job.Paused:
			note = " It is paused: resume it when ready."
		}
		return redirectAfter(c, fmt.Sprintf("/jobs/%d", job.ID), "Created “"+job.Name+"”."+note)
	}
}

// pageView is the form as posted, for the page it was on: a job's edit form when it names the job
// (job_id), the new job form (with "Start paused") otherwise. nav is the navigation's current item.
func (f jobForm) pageView(ctx context.Context, q *sqlcgen.Queries, problems map[string]string, now time.Time) (views.JobForm, string, error) {
	if id, err := strconv.ParseInt(f.JobID, 10, 64); err == nil && id > 0 {
		job, err := q.JobGet(ctx, id)
		if err != nil {
			return views.JobForm{}, "", err
		}
		page := fmt.Sprintf("/jobs/%d", id)
		return f.view(page, "Edit “"+job.Name+"”", "Save changes", page, problems, now), "jobs", nil
	}
	title := "New job"
	if f.Clone {
		title = "Copy of a job"
	}
	view := f.view("/jobs", title, "Create job", "/jobs", problems, now)
	view.Paused = true
	return view, "new", nil
}

// handleJobEditPage serves GET /jobs/{id}/edit, the form filled with the job.
func handleJobEditPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pathJob(c, q)
		if err != nil {
			return err
		}
		id := job.ID
		title := "Edit “" + job.Name + "”"
		f := jobFormFromJob(job)
		f.JobID = itoa64(id) // the preview's H tokens and jitter are this job's
		view := f.view(fmt.Sprintf("/jobs/%d", id), title, "Save changes", fmt.Sprintf("/jobs/%d", id), nil, time.Now())
		view, err = formExtras(c.Request().Context(), q, view, false)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.JobFormPage(newPage(c, title, "jobs"), view))
	}
}

// handleJobUpdate serves POST /jobs/{id}, the edit form's post. The scheduler picks the change up at
// once, as it does for the API.
func handleJobUpdate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		old, err := q.JobGet(ctx, id)
		if err != nil {
			return err
		}
		f, err := postedJobForm(c)
		if err != nil {
			return err
		}
		now := time.Now()
		spec, problems := f.Valid(now)
		if err := st.CheckJobRefs(ctx, spec, problems); err != nil {
			return err
		}
		if err := st.CheckAfter(ctx, id, spec, problems); err != nil {
			return err
		}
		if len(problems) > 0 {
			page := fmt.Sprintf("/jobs/%d", id)
			return formProblems(c, q, f.view(page, "Edit “"+old.Name+"”", "Save changes", page, problems, now), "jobs")
		}
		job, err := st.UpdateJob(c.Request().Context(), auditActor(c), id, spec)
		if err != nil {
			return err
		}
		note := nextRunNote(job, now)
		if job.Paused {
			note = " It stays paused."
		}
		return redirectAfter(c, fmt.Sprintf("/jobs/%d", id), "Saved “"+job.Name+"”."+note)
	}
}

// postedJobForm reads the posted form.
func postedJobForm(c echo.Context) (jobForm, error) {
	form, err := readForm(c)
	if err != nil {
		return jobForm{}, err
	}
	f := jobFormFrom(form.Get)
	f.AlertChannels = form["alerts.channels"]
	f.AlertOn, f.AlertOnShown = form["alerts.on"], form.Get("alerts.on_shown") != "" // alerts.on (issues 21, 22)
	return f, nil
}

// formProblems sends the form back with its problems and the person's input: the form alone for
// htmx, which swaps it in place, and the whole page otherwise. 422 says the job was not saved.
func formProblems(c echo.Context, q *sqlcgen.Queries, view views.JobForm, nav string) error {
	view, err := formExtras(c.Request().Context(), q, view, false)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.JobFormView(view))
	}
	return render(c, http.StatusUnprocessableEntity, views.JobFormPage(newPage(c, view.Title, nav), view))
}

// nextRunNote tells when a saved job runs first.
func nextRunNote(j sqlcgen.Job, now time.Time) string {
	if j.NextRunAt == nil {
		return ""
	}
	return " Its next run is " + views.Relative(*j.NextRunAt, now) + ", at " + views.ShortExact(*j.NextRunAt, zone(j.Timezone)) + "."
}

// handleJobSchedulePreview serves GET /jobs/schedule, the live check of the form's schedule fields:
// the schedule in words with its next runs, and each field's problem next to it.
func handleJobSchedulePreview() echo.HandlerFunc {
	return func(c echo.Context) error {
		f := jobFormFrom(c.QueryParam)
		return render(c, http.StatusOK, views.SchedulePreviewFragment(f.preview(time.Now())))
	}
}

// handleJobTaskFields serves GET /jobs/task-fields?type=, the fields of the task type just chosen.
// What was typed into fields both types have (a URL) carries over; a body does not, because an
// email's text is not a webhook's JSON.
func handleJobTaskFields() echo.HandlerFunc {
	return func(c echo.Context) error {
		f := jobFormFrom(c.QueryParam)
		if c.QueryParam("fields_type") != f.Type {
			delete(f.Payload, "payload.body")
		}
		view := f.view("", "", "", "", nil, time.Now())
		return render(c, http.StatusOK, views.TaskFields(view))
	}
}
