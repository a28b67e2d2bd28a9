package handlers

import (
	"context"
	"crypto/rand"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/task"
)

// "Send a test request" (issue 27): the job form's values, checked exactly as a save checks them,
// run once now through the worker's executor (so through the same target rules at the dial), and
// the outcome shown; no run is stored, nothing is saved. Only editors reach it (it is a POST), it
// is CSRF-protected like every form, and limited per user like Run now.

// Bounds of a test request.
const (
	// maxTestTimeout caps the job's own timeout, so that a test answers while the person waits.
	maxTestTimeout = 30 * time.Second
	// maxTestOutput is how much of the answer the outcome shows.
	maxTestOutput = 2000
)

// testOutcome is what a test request did, as the API answers it.
type testOutcome struct {
	OK         bool   `json:"ok"`
	Status     string `json:"status"`
	DurationMs int64  `json:"duration_ms"`
	Output     string `json:"output"`
	Error      string `json:"error"`
	duration   time.Duration
}

// view is the outcome as the form shows it.
func (o testOutcome) view() *views.TestOutcome {
	return &views.TestOutcome{OK: o.OK, Status: o.Status, Duration: views.Duration(o.duration), Output: o.Output, Error: o.Error}
}

// runTest runs a validated job's task once. jobID is the edited job's (0 for a new one), for the
// {{job.id}} template. A signed webhook is signed with a secret made for the test: the job's own
// is not read for it.
func runTest(ctx context.Context, tester JobTester, spec store.JobSpec, jobID int64) testOutcome {
	t := task.Task{JobID: jobID, JobName: spec.Name, Attempt: 1, ScheduledAt: time.Now().UTC().Truncate(time.Second),
		Payload: spec.Payload, IdempotencyKey: "test-" + rand.Text(), Params: spec.Params}
	if task.Signed(spec.Type, spec.Payload) {
		t.SigningSecret = task.NewSigningSecret()
	}
	var names []string
	for _, refs := range spec.SecretRefs {
		names = append(names, refs...)
	}
	slices.Sort(names)
	start := time.Now()
	output, err := tester.TestTask(ctx, spec.Type, min(spec.Timeout, maxTestTimeout), t, slices.Compact(names))
	o := testOutcome{OK: err == nil, duration: time.Since(start)}
	o.DurationMs = o.duration.Milliseconds()
	if line, rest, _ := strings.Cut(output, "\n"); strings.HasPrefix(line, "HTTP ") {
		o.Status, output = line, rest
	}
	o.Output = task.Clip(strings.TrimSpace(output), maxTestOutput)
	switch {
	case err != nil:
		o.Error = views.ErrorWords(err.Error())
		if o.Status == "" {
			o.Status = "Failed"
		}
	case o.Status == "":
		o.Status = "Done"
	}
	return o
}

// handleJobTest serves POST /jobs/test, the form's "Send a test request". With htmx it answers with
// the outcome, swapped in under the button, or with the whole form and its problems; without, with
// the form page, the outcome in it.
func handleJobTest(q *sqlcgen.Queries, st *store.Store, tester JobTester) echo.HandlerFunc {
	return func(c echo.Context) error {
		if tester == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "Test requests cannot be sent from this server.")
		}
		f, err := postedJobForm(c)
		if err != nil {
			return err
		}
		ctx, now := c.Request().Context(), time.Now()
		spec, problems := f.Valid(now)
		if err := st.CheckJobRefs(ctx, spec, problems); err != nil {
			return err
		}
		view, nav, err := f.pageView(ctx, q, problems, now)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			view.ProblemsTitle = "The test request was not sent."
			if isHTMX(c) {
				c.Response().Header().Set("HX-Retarget", "#job-form")
				c.Response().Header().Set("HX-Reswap", "outerHTML")
			}
			return formProblems(c, q, view, nav)
		}
		jobID, _ := strconv.ParseInt(f.JobID, 10, 64)
		view.Test = runTest(ctx, tester, spec, jobID).view()
		if isHTMX(c) {
			return render(c, http.StatusOK, views.TestOutcomeView(view.Test))
		}
		if view, err = formExtras(ctx, q, view, false); err != nil {
			return err
		}
		return render(c, http.StatusOK, views.JobFormPage(newPage(c, view.Title, nav), view))
	}
}

// handleAPIJobTest serves POST /api/jobs/test: a job as POST /api/jobs takes it, checked the same
// way (422 naming the fields), run once now without storing a run or the job; 200 with the outcome,
// whether the task succeeded or not.
func handleAPIJobTest(st *store.Store, tester JobTester) echo.HandlerFunc {
	return func(c echo.Context) error {
		if tester == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "Test requests cannot be sent from this server.")
		}
		var in store.JobInput
		decodeProblems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		spec, problems, err := validAPIJob(c, st, in, decodeProblems)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalid(c, problems)
		}
		return c.JSON(http.StatusOK, runTest(c.Request().Context(), tester, spec, 0))
	}
}
