package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// Bulk retry of runs (issue 27): the runs page's ticked rows or "every run matching", in any
// status tab, confirmed once; runs that cannot be retried are passed over, saying why.

// runFilterInput is the runs page's filters as a form or a client gives them.
type runFilterInput struct {
	JobID  int64  `json:"job_id"`
	Status string `json:"status"`
	From   string `json:"from"`
	To     string `json:"to"`
	Error  string `json:"error"`
	Tag    string `json:"tag"`
}

// runMatch is the runs page's filters as RunIDsMatching takes them.
type runMatch sqlcgen.RunIDsMatchingParams

// match checks the filters and turns them into a runMatch, with problems named "filter.<field>".
func (f runFilterInput) match(problems map[string]string) runMatch {
	var m runMatch
	if f.JobID < 0 {
		problems["filter.job_id"] = "must be a job id"
	}
	m.JobID = nonZero(f.JobID)
	if f.Status != "" {
		if _, ok := runstatus.Parse(f.Status); !ok {
			problems["filter.status"] = "must be one of " + statusList()
		}
		m.Status = &f.Status
	}
	day := func(field, v string) *time.Time {
		if v == "" {
			return nil
		}
		t, err := time.ParseInLocation(time.DateOnly, v, time.UTC)
		if err != nil {
			problems["filter."+field] = "must be a date like 2026-03-28"
			return nil
		}
		return &t
	}
	m.FromAt = day("from", strings.TrimSpace(f.From))
	if m.ToAt = day("to", strings.TrimSpace(f.To)); m.ToAt != nil {
		end := m.ToAt.AddDate(0, 0, 1) // to includes its day, as on the page
		m.ToAt = &end
	}
	m.ErrorLike = runsSearch{errorText: strings.TrimSpace(f.Error)}.errorLike()
	if f.Tag != "" {
		if !store.ValidTag(f.Tag) {
			problems["filter.tag"] = "must be a tag: lower-case letters, digits, '-', '_' and ':'"
		}
		m.Tag = &f.Tag
	}
	return m
}

// ids resolves the filters to the runs that match now, up to one more than a bulk action takes.
func (m runMatch) ids(ctx context.Context, q *sqlcgen.Queries) ([]int64, error) {
	p := sqlcgen.RunIDsMatchingParams(m)
	p.MaxRows = store.MaxBulk + 1
	ids, err := q.RunIDsMatching(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list matching runs: %w", err)
	}
	return ids, nil
}

// count is how many runs match, up to one more than a bulk action takes.
func (m runMatch) count(ctx context.Context, q *sqlcgen.Queries) (int64, error) {
	n, err := q.RunCountMatching(ctx, sqlcgen.RunCountMatchingParams{JobID: m.JobID, Status: m.Status, FromAt: m.FromAt, ToAt: m.ToAt,
		ErrorLike: m.ErrorLike, Tag: m.Tag, MaxRows: store.MaxBulk + 1})
	if err != nil {
		return 0, fmt.Errorf("count matching runs: %w", err)
	}
	return n, nil
}

// handleRunsBulk serves POST /runs/bulk (and POST /runs/retry, its older address), the runs page's
// bulk bar ("Retry"): without confirm=1 it answers the confirmation, which says how many runs and
// what a retry does; with it, it retries and goes back with what it did.
func handleRunsBulk(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		problems := map[string]string{}
		back := localPath(form.Get("back"), "/runs")
		all := form.Get("all") == "1"
		jobID, err := strconv.ParseInt(form.Get("filter.job_id"), 10, 64)
		if err != nil && form.Get("filter.job_id") != "" {
			problems["filter.job_id"] = "must be a job id: pick the job from the list"
		}
		fi := runFilterInput{JobID: jobID, Status: form.Get("filter.status"), From: form.Get("filter.from"), To: form.Get("filter.to"),
			Error: form.Get("filter.error"), Tag: form.Get("filter.tag")}
		m := fi.match(problems)
		var ids, picked []int64
		if !all {
			picked = bulkIDs(form["ids"], problems)
			ids = picked
		}
		if len(problems) > 0 {
			return redirectAfter(c, back, "The selection is not valid: "+firstProblem(problems))
		}
		ctx := c.Request().Context()
		if all {
			if ids, err = m.ids(ctx, q); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return redirectAfter(c, back, "Tick the runs to retry first, or pick “Select all matching”.")
		}
		d := views.BulkConfirm{Kind: "runs", Action: store.BulkRetry, Count: len(ids), All: all, IDs: picked, Back: back,
			Filter: map[string]string{"filter.job_id": form.Get("filter.job_id"), "filter.status": fi.Status, "filter.from": fi.From,
				"filter.to": fi.To, "filter.error": fi.Error, "filter.tag": fi.Tag}}
		if len(ids) > store.MaxBulk {
			d.Refusal = tooMany("runs")
		}
		if form.Get("confirm") != "1" || d.Refusal != "" {
			return renderBulkConfirm(c, d)
		}
		res, err := st.BulkRetryRuns(ctx, auditActor(c), ids)
		if err != nil {
			return err
		}
		publishRuns(c, pub, res.Runs)
		c.Response().Header().Set("HX-Trigger", "runs-changed")
		return redirectAfter(c, back, views.BulkDone("runs", store.BulkRetry, len(res.Done), skipCounts(res.Skipped)))
	}
}
