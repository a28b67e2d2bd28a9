package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
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
	Paused     bool            `json:"paused"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	NextRunAt  *time.Time      `json:"next_run_at"`
}

func toJobJSON(j sqlcgen.Job) jobJSON {
	next := j.NextRunAt
	if j.Paused {
		next = nil
	}
	return jobJSON{
		ID: j.ID, Name: j.Name, Type: j.Type, Payload: j.Payload, Cron: j.Cron, Timezone: j.Timezone,
		MaxRetries: j.MaxRetries,
		RetryDelay: (time.Duration(j.RetryDelayMs) * time.Millisecond).String(),
		Timeout:    (time.Duration(j.TimeoutMs) * time.Millisecond).String(),
		Paused:     j.Paused, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, NextRunAt: next,
	}
}

// decodeJSON reads a JSON body into v. A body that is not JSON, or has more after the value, is a
// 400; a value of the wrong type for a field is a problem with that field, for a 422.
func decodeJSON(c echo.Context, v any) (map[string]string, error) {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxBodyBytes)
	dec := json.NewDecoder(body)
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &tooLarge) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	case fieldTypeProblem(err) != nil:
		return fieldTypeProblem(err), nil
	default:
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The request body is not valid JSON: "+err.Error())
	}
}

// fieldTypeProblem turns a JSON value of the wrong type for a field into a problem with that
// field; any other error gives none.
func fieldTypeProblem(err error) map[string]string {
	var wrongType *json.UnmarshalTypeError
	if errors.As(err, &wrongType) && wrongType.Field != "" {
		return map[string]string{wrongType.Field: "must be a JSON " + jsonKind(wrongType.Type.Kind().String())}
	}
	return nil
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// invalid answers 422 with the problems by field.
func invalid(c echo.Context, problems map[string]string) error {
	return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The job is not valid; see fields.", Fields: problems})
}

// pathID reads the {id} path parameter; anything but a positive number is a 404.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "Not found: there is no such id.")
	}
	return id, nil
}

// handleAPIJobCreate serves POST /api/jobs: it validates the job and stores it, 201 with the job.
func handleAPIJobCreate(db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in jobInput
		problems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		return createJob(c, db, in, problems)
	}
}

// createJob validates and stores a job. extra holds problems found before validation.
func createJob(c echo.Context, db TxStarter, in jobInput, extra map[string]string) error {
	spec, problems := in.Valid(time.Now())
	for k, v := range extra {
		problems[k] = v
	}
	if len(problems) > 0 {
		return invalid(c, problems)
	}
	job, err := insertJob(c, db, spec)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/jobs/"+strconv.FormatInt(job.ID, 10))
	return c.JSON(http.StatusCreated, toJobJSON(job))
}

// handleAPIJobList serves GET /api/jobs?limit=&after=, jobs by id, a page at a time, with secrets in
// payloads masked (GET /api/jobs/{id} shows one job whole).
func handleAPIJobList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit, after, problems := pageParams(c, "after")
		if len(problems) > 0 {
			return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "Bad query parameters; see fields.", Fields: problems})
		}
		jobs, err := q.JobList(c.Request().Context(), sqlcgen.JobListParams{AfterID: after, MaxRows: int32(limit) + 1})
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
			job.Payload = worker.MaskPayload(j.Type, j.Payload)
			out.Jobs = append(out.Jobs, job)
		}
		return c.JSON(http.StatusOK, out)
	}
}

// pageParams reads limit (1 to 500, default 50) and a keyset cursor parameter.
func pageParams(c echo.Context, cursorName string) (int, int64, map[string]string) {
	problems := map[string]string{}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			problems["limit"] = "must be a whole number from 1 to 500"
		}
		limit = n
	}
	var cursor int64
	if v := c.QueryParam(cursorName); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			problems[cursorName] = "must be an id"
		}
		cursor = n
	}
	return limit, cursor, problems
}

// handleAPIJobGet serves GET /api/jobs/{id}.
func handleAPIJobGet(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		job, err := q.JobGet(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toJobJSON(job))
	}
}

// handleAPIJobUpdate serves PUT /api/jobs/{id}, which takes the same body as create. The scheduler
// picks the change up at once, whichever replica it runs on.
func handleAPIJobUpdate(q *sqlcgen.Queries, db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := q.JobGet(c.Request().Context(), id); err != nil {
			return err
		}
		var in jobInput
		decodeProblems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		spec, problems := in.Valid(time.Now())
		for k, v := range decodeProblems {
			problems[k] = v
		}
		if len(problems) > 0 {
			return invalid(c, problems)
		}
		job, err := updateJob(c, db, id, spec)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toJobJSON(job))
	}
}

// handleAPIJobDelete serves DELETE /api/jobs/{id}; the job's runs go with it.
func handleAPIJobDelete(db TxStarter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := deleteJob(c, db, id); errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no job with that id.")
		} else if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// handleAPIJobPause serves POST /api/jobs/{id}/pause and /resume. Resuming schedules from now on;
// slots that passed while the job was paused are not caught up.
func handleAPIJobPause(db TxStarter, paused bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		job, err := setPaused(c, db, id, paused)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toJobJSON(job))
	}
}

// setPaused pauses or resumes a job, and records it in the audit log unless nothing changed.
func setPaused(c echo.Context, db TxStarter, id int64, paused bool) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	err := audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		ctx := c.Request().Context()
		old, err := q.JobGetForUpdate(ctx, id)
		if err != nil {
			return nil, err
		}
		var next *time.Time
		if sched, err := worker.ParseSchedule(old.Cron, old.Timezone); err == nil {
			n := sched.Next(time.Now()).UTC()
			next = &n
		}
		if job, err = q.JobSetPaused(ctx, sqlcgen.JobSetPausedParams{ID: id, Paused: paused, NextRunAt: next}); err != nil {
			return nil, fmt.Errorf("pause job %d: %w", id, err)
		}
		action := "job.resume"
		if paused {
			action = "job.pause"
		}
		return ifChanged(jobEntry(action, &old, &job)), nil
	})
	return job, err
}

// handleAPIJobRun serves POST /api/jobs/{id}/run: a run now, through the same queue as scheduled
// ones. 202 with the run, which is queued even if the broker is down at this moment.
func handleAPIJobRun(q *sqlcgen.Queries, db TxStarter, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		_, run, err := runNow(c, q, db, pub, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, toRunJSON(run))
	}
}

// runNow makes a manual run of a job, records it in the audit log, and publishes it once both are
// committed. It returns the job too, for the caller's answer; the run is read again after
// publishing, so that it shows whether the broker took it.
func runNow(c echo.Context, q *sqlcgen.Queries, db TxStarter, pub RunPublisher, jobID int64) (sqlcgen.Job, sqlcgen.Run, error) {
	ctx := c.Request().Context()
	var job sqlcgen.Job
	var run sqlcgen.Run
	err := audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		var err error
		if job, err = q.JobGet(ctx, jobID); err != nil {
			return nil, err
		}
		if run, err = q.RunInsertManual(ctx, jobID); err != nil {
			return nil, fmt.Errorf("insert run of job %d: %w", jobID, err)
		}
		runID, _ := json.Marshal(run.ID)
		return []auditEntry{{Action: "job.run", Subject: job.Name, JobID: &jobID, Changes: map[string]fieldChange{"run_id": {From: orNull(nil), To: runID}}}}, nil
	})
	if err != nil {
		return job, run, err
	}
	pub.Publish(ctx, []worker.RunMessage{{RunID: run.ID, JobID: run.JobID}})
	if fresh, err := q.RunGet(ctx, run.ID); err == nil {
		run = fresh
	}
	return job, run, nil
}
