package handlers

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// jobOptionsShown is how many jobs the runs page's job picker suggests at a time.
const jobOptionsShown = 20

// handleRunsJobOptions serves GET /runs/job-options?job=, the jobs the runs page's job picker
// suggests for what was typed: those whose name contains it, or the newest while it is shorter than
// a search.
func handleRunsJobOptions(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		typed := strings.TrimSpace(c.QueryParam("job"))
		var rows []sqlcgen.JobListRow
		var err error
		if len([]rune(typed)) < minSearch {
			rows, err = q.JobPageBefore(c.Request().Context(), sqlcgen.JobPageBeforeParams{BeforeID: math.MaxInt64, MaxRows: jobOptionsShown})
		} else {
			rows, err = searchJobs(c.Request().Context(), q, "%"+likeEscaper.Replace(typed)+"%", jobOptionsShown)
		}
		if err != nil {
			return fmt.Errorf("list jobs for the picker: %w", err)
		}
		opts := make([]views.JobOption, len(rows))
		for i, r := range rows {
			opts[i] = views.JobOption{ID: r.ID, Name: r.Name, TypeLabel: typeLabel(r.Type)}
		}
		return render(c, http.StatusOK, views.JobOptions(opts))
	}
}

// pickedJob is the job the runs page filters on, as an id, from its job picker. The picker sends
// the name as typed (job) and, with JavaScript, the id of the job picked from its suggestions
// (job_id); a link sends job_id alone. A name wins over a stale id: it is what the person sees. A
// name that fits no single job comes back as it is, and the runs list says so.
func pickedJob(c echo.Context, q *sqlcgen.Queries) (string, error) {
	id := strings.TrimSpace(c.QueryParam("job_id"))
	typed, sent := c.QueryParams()["job"]
	name := ""
	if sent {
		name = strings.TrimSpace(typed[0])
		if name == "" {
			return "", nil
		}
	}
	ctx := c.Request().Context()
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
		if !sent {
			return id, nil
		}
		job, err := q.JobGet(ctx, n)
		if err == nil && strings.EqualFold(job.Name, name) {
			return id, nil
		}
	} else if !sent {
		name = id // an old link, or a name typed without JavaScript into the id
	}
	if name == "" {
		return id, nil
	}
	return jobByName(ctx, q, name)
}

// jobByName finds the job a name stands for: the one with exactly that name (in any case), or else
// the only one whose name contains it. Otherwise the name comes back as it was.
func jobByName(ctx context.Context, q *sqlcgen.Queries, name string) (string, error) {
	for _, pattern := range []string{likeEscaper.Replace(name), "%" + likeEscaper.Replace(name) + "%"} {
		rows, err := searchJobs(ctx, q, pattern, 2)
		if err != nil {
			return "", fmt.Errorf("find the job named %q: %w", name, err)
		}
		if len(rows) == 1 || (len(rows) > 0 && pattern == likeEscaper.Replace(name)) {
			return itoa64(rows[0].ID), nil
		}
		if len(rows) > 1 {
			break
		}
	}
	return name, nil
}

// searchJobs is the newest jobs whose name matches an ILIKE pattern.
func searchJobs(ctx context.Context, q *sqlcgen.Queries, pattern string, limit int32) ([]sqlcgen.JobListRow, error) {
	return q.JobSearchBefore(ctx, sqlcgen.JobSearchBeforeParams{Pattern: pattern, BeforeID: math.MaxInt64, MaxRows: limit})
}
