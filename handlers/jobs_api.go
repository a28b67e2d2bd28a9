package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// jobJSON is a job as the API shows it.
type jobJSON struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	Cron       string          `json:"cron"`
	Timezone   string          `json:"timezone"`
	MaxRetries int32           `json:"max_retries"`
	RetryDelay string          `json:"retry_delay"`
	Timeout    string          `json:"timeout"`
	Catchup    string          `json:"catchup"`
	Paused     bool            `json:"paused"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	NextRunAt  *time.Time      `json:"next_run_at"`
	// RetryOn and RetryBackoff are the retry policy.
	RetryOn      string `json:"retry_on"`
	RetryBackoff string `json:"retry_backoff"`
	// SigningSecret keys a signed webhook's signatures; only a single job's answer shows it, and only
	// to those who may edit the job.
	SigningSecret string     `json:"signing_secret,omitempty"`
	Alerts        alertsJSON `json:"alerts"`
	// issue 21, jitter and windows: as export writes them (store.ToExportJob).
	Jitter    string           `json:"jitter"`
	StartAt   *time.Time       `json:"start_at"`
	EndAt     *time.Time       `json:"end_at"`
	Blackouts []store.Blackout `json:"blackouts"`
	// overlap, after, params, pause_after_failures, paused_reason (issue 21, sched-b)
	Overlap            string            `json:"overlap"`
	After              *store.After      `json:"after"`
	Params             map[string]string `json:"params"`
	PauseAfterFailures int32             `json:"pause_after_failures"`
	// PausedReason says why a job paused itself; "" for one paused by a person, or running.
	PausedReason string `json:"paused_reason"`
	// Tags and Description organise jobs (issue 27).
	Tags        []string `json:"tags"`
	Description string   `json:"description"`
}

func toJobJSON(j sqlcgen.Job) jobJSON {
	next := j.NextRunAt
	if j.Paused {
		next = nil
	}
	window := store.ToExportJob(j)
	return jobJSON{
		Jitter: window.Jitter, StartAt: window.StartAt, EndAt: window.EndAt, Blackouts: window.Blackouts,
		ID: j.ID, Name: j.Name, Type: j.Type, Payload: j.Payload, Cron: j.Cron, Timezone: j.Timezone,
		MaxRetries: j.MaxRetries,
		RetryDelay: (time.Duration(j.RetryDelayMs) * time.Millisecond).String(),
		Timeout:    (time.Duration(j.TimeoutMs) * time.Millisecond).String(),
		Catchup:    string(j.Catchup),
		Paused:     j.Paused, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, NextRunAt: next,
		RetryOn: j.RetryOn, RetryBackoff: j.RetryBackoff, SigningSecret: signingSecret(j),
		Alerts: toAlertsJSON(j),
		// overlap, after, params, pause_after_failures, paused_reason (issue 21, sched-b)
		Overlap: j.Overlap, After: jobAfter(j), Params: jobParams(j.Params), PauseAfterFailures: j.PauseAfterFailures,
		PausedReason: j.PausedReason,
		Tags:         window.Tags, Description: j.Description, // issue 27
	}
}

// signingSecret is a job's signing secret if it signs its requests, or "".
func signingSecret(j sqlcgen.Job) string {
	if j.SigningSecret == nil || !task.Signed(j.Type, j.Payload) {
		return ""
	}
	return *j.SigningSecret
}

// handleAPIJobCreate serves POST /api/jobs: it validates the job and stores it, 201 with the job.
func handleAPIJobCreate(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in store.JobInput
		problems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		return createJob(c, st, in, problems)
	}
}

// createJob validates and stores a job. extra holds problems found before validation.
func createJob(c echo.Context, st *store.Store, in store.JobInput, extra map[string]string) error {
	spec, problems, err := validAPIJob(c, st, in, extra)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return invalid(c, problems)
	}
	job, err := st.CreateJob(c.Request().Context(), auditActor(c), spec)
	if err != nil {
		return err
	}
	showSigning(st, &job)
	c.Response().Header().Set(echo.HeaderLocation, "/api/jobs/"+itoa64(job.ID))
	return c.JSON(http.StatusCreated, toJobJSON(job))
}

// handleAPIJobList serves GET /api/jobs?limit=&after=&tag=, jobs by id (those with the tag), a page at a time, with secrets in
// payloads masked (GET /api/jobs/{id} shows one job whole).
func handleAPIJobList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit, after, problems := pageParams(c, "after")
		tag := tagParam(c, problems)
		if len(problems) > 0 {
			return badQuery(c, problems)
		}
		jobs, err := q.JobList(c.Request().Context(), sqlcgen.JobListParams{AfterID: after, Tag: tag, MaxRows: int32(limit) + 1})
		if err != nil {
			return err
		}
		out := struct {
			Jobs      []jobJSON `json:"jobs"`
			NextAfter *int64    `json:"next_after"`
		}{Jobs: []jobJSON{}}
		if len(jobs) > limit {
			jobs = jobs[:limit]
			out.NextAfter = &jobs[limit-1].ID
		}
		for _, j := range jobs {
			// A list is for looking, and gets passed around: its secrets are masked.
			job := toJobJSON(j)
			job.Payload, job.SigningSecret = task.Mask(j.Type, j.Payload), ""

			out.Jobs = append(out.Jobs, job)
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleAPIJobGet serves GET /api/jobs/{id}: the job whole, for editing it, to those whose role may
// edit it; a viewer sees its secrets masked, as in the list.
func handleAPIJobGet(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pathJob(c, q)
		if err != nil {
			return err
		}
		showSigning(st, &job)
		out := toJobJSON(job)
		if !currentPrincipal(c).Role.AtLeast(roleEditor) {
			out.Payload, out.SigningSecret = task.Mask(job.Type, job.Payload), ""
		}
		return c.JSON(http.StatusOK, out)
	}
}

// validAPIJob checks a job sent to the API, with extra, the problems found reading the body, added
// to its own.
func validAPIJob(c echo.Context, st *store.Store, in store.JobInput, extra map[string]string) (store.JobSpec, map[string]string, error) {
	spec, problems := in.Valid(time.Now())
	for k, v := range extra {
		problems[k] = v
	}
	return spec, problems, st.CheckJobRefs(c.Request().Context(), spec, problems)
}

// handleAPIJobUpdate serves PUT /api/jobs/{id}, which takes the same body as create. The scheduler
// picks the change up at once, whichever replica it runs on.
func handleAPIJobUpdate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := q.JobGet(c.Request().Context(), id); err != nil {
			return err
		}
		var in store.JobInput
		decodeProblems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		spec, problems, err := validAPIJob(c, st, in, decodeProblems)
		if err == nil {
			err = st.CheckAfter(c.Request().Context(), id, spec, problems)
		}
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalid(c, problems)
		}
		job, err := st.UpdateJob(c.Request().Context(), auditActor(c), id, spec)
		if err != nil {
			return err
		}
		showSigning(st, &job)
		return c.JSON(http.StatusOK, toJobJSON(job))
	}
}

// handleAPIJobDelete serves DELETE /api/jobs/{id}; the job's runs go with it.
func handleAPIJobDelete(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := st.DeleteJob(c.Request().Context(), auditActor(c), id); errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no job with that id.")
		} else if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// handleAPIJobPause serves POST /api/jobs/{id}/pause and /resume. Resuming schedules from now on;
// slots that passed while the job was paused are not caught up.
func handleAPIJobPause(st *store.Store, paused bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := setPaused(c, st, paused)
		if err != nil {
			return err
		}
		showSigning(st, &job)
		return c.JSON(http.StatusOK, toJobJSON(job))
	}
}

// handleAPIJobRun serves POST /api/jobs/{id}/run: a run now, through the same queue as scheduled
// ones. 202 with the run, which is queued even if the broker is down at this moment.
func handleAPIJobRun(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		var body runNowBody
		if c.Request().ContentLength != 0 {
			problems, err := decodeJSON(c, &body)
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				return invalid(c, problems)
			}
		}
		_, run, err := runNowWithParams(c, q, st, pub, body.Params)
		if answered, err := problemsOf(c, err); answered || err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, toRunJSON(run))
	}
}
