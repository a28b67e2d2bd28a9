package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// handleRunsPage serves GET /runs?job_id=&status=&from=&to=&error=&before=&after=, every run newest
// first, with a tab per status. For htmx
// (the filters) it answers with the table alone.
func handleRunsPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pickedJob(c, q)
		if err != nil {
			return err
		}
		l, err := runsList(c, q, job, c.QueryParam("status"), readCursor(c))
		if err != nil {
			return err
		}
		if isHTMX(c) {
			return render(c, http.StatusOK, views.RunsTable(l))
		}
		return render(c, http.StatusOK, views.RunsPage(newPage(c, "Runs", "runs"), l))
	}
}

// handleRunsTable serves GET /runs/table, with the runs page's parameters: the table that the runs
// page and each job's page poll every 2 s.
func handleRunsTable(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pickedJob(c, q)
		if err != nil {
			return err
		}
		l, err := runsList(c, q, job, c.QueryParam("status"), readCursor(c))
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.RunsTable(l))
	}
}

// runsList reads one page of runs, filtered by the job and status given (either may be ""). A job
// filter that is not a job id (a name that fits no single job) shows no runs, with a note; one that
// is not a status is dropped silently, rather than failing the page.
func runsList(c echo.Context, q *sqlcgen.Queries, jobFilter, statusFilter string, cur cursor) (views.RunsList, error) {
	ctx := c.Request().Context()
	var l views.RunsList
	var f views.RunsFilter
	jobID, err := runsJobFilter(ctx, q, jobFilter, &l, &f)
	if err != nil {
		return l, err
	}
	f.Status, _ = runstatus.Parse(statusFilter)
	search, notes := readRunsSearch(c)
	f.From, f.To, f.Error, f.Tag = search.from, search.to, search.errorText, search.tag
	l.Notes = notes
	l.Filter, l.ShowJob = f, f.JobID == ""
	l.Selectable = currentPrincipal(c).Role.AtLeast(roleEditor) // bulk retry in any status (issue 27)
	if l.Selectable && jobID != math.MaxInt64 {
		m := runMatch{JobID: nonZero(jobID), Status: nonEmpty(f.Status.String()), FromAt: search.fromAt, ToAt: search.toAt,
			ErrorLike: search.errorLike(), Tag: nonEmpty(search.tag)}
		if l.Matching, err = m.count(ctx, q); err != nil {
			return l, err
		}
	}

	var rows []sqlcgen.RunListRow
	if search.active() {
		rows, err = searchRuns(ctx, q, jobID, f.Status, search, cur)
	} else {
		rows, err = fetchRuns(ctx, q, jobID, f.Status, cur)
	}
	if err != nil {
		return l, fmt.Errorf("list runs: %w", err)
	}
	rows, more := trimPage(rows, runsPageSize, cur.after > 0)
	now := time.Now()
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		l.Rows = append(l.Rows, toRunRow(r, now))
	}
	params := search.params()
	params.Set("job_id", f.JobID)
	params.Set("status", f.Status.String())
	if l.Tabs, err = statusTabs(ctx, q, jobID, f.Status, search, params); err != nil {
		return l, err
	}
	l.Newer, l.Older = pageLinks("/runs", params, ids, cur, more)
	if cur.after > 0 {
		params.Set("after", itoa64(cur.after))
	} else if cur.before > 0 {
		params.Set("before", itoa64(cur.before))
	}
	l.PollURL, l.Back = "/runs/table", "/runs"
	if enc := clean(params).Encode(); enc != "" {
		l.PollURL += "?" + enc
		l.Back += "?" + enc
	}
	return l, nil
}

// runsJobFilter reads the runs page's job filter into l and f and answers the job id to list (0
// for every job). A filter that is not a job id (a name that fits no single job, see pickedJob)
// shows no runs rather than every run, with a note; a job that no longer exists gets a note too.
func runsJobFilter(ctx context.Context, q *sqlcgen.Queries, jobFilter string, l *views.RunsList, f *views.RunsFilter) (int64, error) {
	if jobFilter == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(jobFilter, 10, 64)
	if err != nil || id <= 0 {
		l.Note = fmt.Sprintf("No single job is named “%s”: type more of its name, or pick one from the list.", jobFilter)
		f.JobID = jobFilter
		return math.MaxInt64, nil
	}
	job, err := q.JobGet(ctx, id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		l.Note = fmt.Sprintf("There is no job %d: it may have been deleted.", id)
	case err != nil:
		return 0, fmt.Errorf("get job %d: %w", id, err)
	default:
		l.JobName = job.Name
	}
	f.JobID = itoa64(id)
	return id, nil
}

// clean drops empty parameters, so that URLs stay short and readable.
func clean(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if len(vs) > 0 && vs[0] != "" {
			out.Set(k, vs[0])
		}
	}
	return out
}

// fetchRuns runs the query for the page's shape (see RunPageBefore), reading one row more than a
// page. Every shape selects the run_list_rows view, so all return the same row type.
func fetchRuns(ctx context.Context, q *sqlcgen.Queries, jobID int64, status runstatus.Status, cur cursor) ([]sqlcgen.RunListRow, error) {
	limit, before, after := int32(runsPageSize+1), cur.beforeID(), cur.after
	switch up := after > 0; {
	case jobID > 0 && status != "" && up:
		return q.RunPageByJobStatusAfter(ctx, sqlcgen.RunPageByJobStatusAfterParams{JobID: jobID, Status: status, AfterID: after, MaxRows: limit})
	case jobID > 0 && status != "":
		return q.RunPageByJobStatusBefore(ctx, sqlcgen.RunPageByJobStatusBeforeParams{JobID: jobID, Status: status, BeforeID: before, MaxRows: limit})
	case jobID > 0 && up:
		return q.RunPageByJobAfter(ctx, sqlcgen.RunPageByJobAfterParams{JobID: jobID, AfterID: after, MaxRows: limit})
	case jobID > 0:
		return q.RunPageByJobBefore(ctx, sqlcgen.RunPageByJobBeforeParams{JobID: jobID, BeforeID: before, MaxRows: limit})
	case status != "" && up:
		return q.RunPageByStatusAfter(ctx, sqlcgen.RunPageByStatusAfterParams{Status: status, AfterID: after, MaxRows: limit})
	case status != "":
		return q.RunPageByStatusBefore(ctx, sqlcgen.RunPageByStatusBeforeParams{Status: status, BeforeID: before, MaxRows: limit})
	case up:
		return q.RunPageAfter(ctx, sqlcgen.RunPageAfterParams{AfterID: after, MaxRows: limit})
	}
	return q.RunPageBefore(ctx, sqlcgen.RunPageBeforeParams{BeforeID: before, MaxRows: limit})
}

// toRunRow is a run as the table shows it.
func toRunRow(r sqlcgen.RunListRow, now time.Time) views.RunRow {
	return views.RunRow{
		ID: r.ID, JobID: r.JobID, JobName: r.JobName, Status: r.Status, Trigger: r.Trigger,
		RetryCount: r.RetryCount, TriggerIcon: views.NewRunTrigger(r.Trigger, r.RetryCount),
		Scheduled: views.NewMoment(&r.ScheduledAt, now, nil),
		Started:   views.NewMoment(r.StartedAt, now, nil),
		Completed: views.NewMoment(r.CompletedAt, now, nil),
		RetryAt:   views.NewMoment(r.NextAttemptAt, now, nil),
		Duration:  runDuration(r.Status, r.StartedAt, r.CompletedAt, now),
		Output:    r.Output, Error: views.ErrorWords(r.Error), OutputCut: r.OutputCut, ErrorCut: r.ErrorCut,
		Unsent: r.Status == runstatus.Queued && r.PublishedAt == nil,
	}
}

// runDuration is how long a run took, or has taken so far while it runs.
func runDuration(status runstatus.Status, started, completed *time.Time, now time.Time) string {
	switch {
	case started != nil && completed != nil:
		return views.Duration(completed.Sub(*started))
	case started != nil && status == runstatus.Running:
		return views.Duration(now.Sub(*started)) + " so far"
	}
	return ""
}

// handleRunPage serves GET /runs/{id}: one run with its output and error in full. For htmx (its own
// refresh while the run is not settled) it answers with the run's panel alone.
func handleRunPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		r, err := q.RunGet(ctx, id)
		if err != nil {
			return err
		}
		job, err := q.JobGet(ctx, r.JobID)
		if err != nil {
			return err
		}
		attempts, err := runAttempts(ctx, q, id)
		if err != nil {
			return err
		}
		now := time.Now()
		history := toAttemptViews(attempts, now)
		d := views.RunDetail{
			History: history, Timeline: runTimeline(r, attempts, history, now), EndToEnd: endToEnd(r, now),
			Retryable: retryable(r.Status) && currentPrincipal(c).Role.AtLeast(roleEditor),
			ID:        r.ID, JobID: r.JobID, JobName: job.Name, Status: r.Status, Trigger: r.Trigger,
			Attempts: r.Attempts, RetryCount: r.RetryCount,
			Scheduled: views.NewMoment(&r.ScheduledAt, now, nil), Created: views.NewMoment(&r.CreatedAt, now, nil),
			Published: views.NewMoment(r.PublishedAt, now, nil), Started: views.NewMoment(r.StartedAt, now, nil),
			Completed: views.NewMoment(r.CompletedAt, now, nil), RetryAt: views.NewMoment(r.NextAttemptAt, now, nil),
			Duration: runDuration(r.Status, r.StartedAt, r.CompletedAt, now), Output: r.Output, Error: views.ErrorWords(r.Error),
		}
		runChainDetail(&d, r)
		if isHTMX(c) {
			return render(c, http.StatusOK, views.RunDetailPanel(d))
		}
		return render(c, http.StatusOK, views.RunPage(newPage(c, fmt.Sprintf("Run #%d", id), "runs"), d))
	}
}
