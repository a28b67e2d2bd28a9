package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// failingShown is how many failing jobs the home page lists; the rest are a link to the job list.
const failingShown = 8

// failingErrorChars is how much of a failing job's last error its badge shows on one line.
const failingErrorChars = 140

// toFailing is a failing job's state as the badge shows it.
func toFailing(inARow int32, since time.Time, lastError string, now time.Time) views.Failing {
	if inARow < 1 {
		inARow = 1 // failing means at least one failure, whatever retention left of the runs
	}
	words := views.ErrorWords(lastError)
	return views.Failing{InARow: inARow, Since: views.NewMoment(&since, now, nil), LastError: words, Short: clip(words, failingErrorChars)}
}

// failingOf reads which of these jobs are failing now, by job id; a job that is not has no entry.
func failingOf(ctx context.Context, q *sqlcgen.Queries, now time.Time, ids ...int64) (map[int64]views.Failing, error) {
	out := map[int64]views.Failing{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.JobFailingList(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read failing state of %d jobs: %w", len(ids), err)
	}
	for _, r := range rows {
		out[r.JobID] = toFailing(r.ConsecutiveFailures, r.Since, r.LastError, now)
	}
	return out, nil
}

// decorateJobRows adds to job rows what the job list view does not carry: whether each job is
// failing, and which of its last runs needed a retry.
func decorateJobRows(ctx context.Context, q *sqlcgen.Queries, rows []views.JobRow, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	failing, err := failingOf(ctx, q, now, ids...)
	if err != nil {
		return err
	}
	strips, err := q.RunStripList(ctx, ids)
	if err != nil {
		return fmt.Errorf("read strips of %d jobs: %w", len(ids), err)
	}
	marks := map[int64][]views.StripMark{}
	for _, s := range strips {
		for i, st := range s.Statuses {
			marks[s.JobID] = append(marks[s.JobID], views.StripMark{Status: runstatus.Status(st), Retried: i < len(s.Retried) && s.Retried[i]})
		}
	}
	for i := range rows {
		rows[i].Failing = failing[rows[i].ID]
		rows[i].Recent = marks[rows[i].ID]
	}
	return nil
}

// jobFailing is one job's failing state, for its page's header.
func jobFailing(ctx context.Context, q *sqlcgen.Queries, id int64, now time.Time) (views.Failing, error) {
	m, err := failingOf(ctx, q, now, id)
	return m[id], err
}

// failingNow is the home page's failing jobs, up to limit, and how many there are in all; tag, if
// not nil, keeps the jobs with that tag.
func failingNow(ctx context.Context, q *sqlcgen.Queries, now time.Time, tag *string, limit int32) ([]views.FailingJob, int64, error) {
	rows, err := q.JobFailingNow(ctx, sqlcgen.JobFailingNowParams{Tag: tag, MaxRows: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("list failing jobs: %w", err)
	}
	var jobs []views.FailingJob
	var total int64
	for _, r := range rows {
		total = r.Total
		jobs = append(jobs, views.FailingJob{JobID: r.JobID, JobName: r.JobName,
			Failing: toFailing(r.ConsecutiveFailures, r.Since, r.LastError, now)})
	}
	return jobs, total, nil
}

// jobSorts are the job list's sortable columns as ?sort= names them; a leading "-" reverses one.
var jobSorts = []string{"name", "-name", "next", "-next", "last", "-last"}

// readPage reads ?page=, the number of a sorted list's page, from 1.
func readPage(c echo.Context) int {
	n, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

// fetchSortedJobs reads one numbered page of the job list sorted or filtered to failing jobs, with
// the links to the pages before and after it.
func fetchSortedJobs(ctx context.Context, q *sqlcgen.Queries, p sqlcgen.JobListSortedParams, page int, params url.Values) ([]sqlcgen.JobListRow, string, string, error) {
	p.SkipRows, p.MaxRows = int32((page-1)*jobsPageSize), jobsPageSize+1
	rows, err := q.JobListSorted(ctx, p)
	if err != nil {
		return nil, "", "", err
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range params {
			if len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return "/jobs?" + v.Encode()
	}
	var newer, older string
	if page > 1 {
		newer = link(page - 1)
	}
	if len(rows) > jobsPageSize {
		rows, older = rows[:jobsPageSize], link(page+1)
	}
	return rows, newer, older, nil
}
