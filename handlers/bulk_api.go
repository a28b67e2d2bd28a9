package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// POST /api/jobs/bulk and POST /api/runs/bulk (issue 27): one action on jobs or runs by id, or on
// every one a filter matches, resolved when the request comes.

// bulkJobsInput is the body of POST /api/jobs/bulk.
type bulkJobsInput struct {
	Action string          `json:"action"`
	IDs    []int64         `json:"ids"`
	Filter *jobFilterInput `json:"filter"`
}

// bulkRunsInput is the body of POST /api/runs/bulk.
type bulkRunsInput struct {
	Action string          `json:"action"`
	IDs    []int64         `json:"ids"`
	Filter *runFilterInput `json:"filter"`
}

// bulkAnswer is what a bulk action did: how many it took, did and passed over, and why.
type bulkAnswer struct {
	Action  string           `json:"action"`
	Matched int              `json:"matched"`
	Done    int              `json:"done"`
	Skipped int              `json:"skipped"`
	Skips   []store.BulkSkip `json:"skips"`
}

// checkBulkIDs checks ids given to the API: positive, at most store.MaxBulk, and either ids or a
// filter, not both.
func checkBulkIDs(ids []int64, hasFilter bool, problems map[string]string) {
	switch {
	case ids != nil && hasFilter:
		problems["ids"] = "must be given alone: send either ids or filter"
	case ids == nil && !hasFilter:
		problems["ids"] = "is required, unless filter is given"
	case ids != nil && (len(ids) == 0 || len(ids) > store.MaxBulk):
		problems["ids"] = fmt.Sprintf("must list 1 to %d ids", store.MaxBulk)
	case slices.ContainsFunc(ids, func(id int64) bool { return id <= 0 }):
		problems["ids"] = "must list ids, which are positive numbers"
	}
}

// answerBulk writes what a bulk action did.
func answerBulk(c echo.Context, action string, matched int, res store.BulkResult) error {
	skips := res.Skipped
	if skips == nil {
		skips = []store.BulkSkip{}
	}
	return c.JSON(http.StatusOK, bulkAnswer{Action: action, Matched: matched, Done: len(res.Done), Skipped: len(skips), Skips: skips})
}

// handleAPIJobsBulk serves POST /api/jobs/bulk {action: pause|resume|run|delete, ids | filter}.
func handleAPIJobsBulk(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in bulkJobsInput
		problems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		if problems == nil {
			problems = map[string]string{}
		}
		if !slices.Contains(store.JobBulkActions, in.Action) {
			problems["action"] = "must be " + strings.Join(store.JobBulkActions, ", ")
		}
		checkBulkIDs(in.IDs, in.Filter != nil, problems)
		var m jobMatch
		if in.Filter != nil {
			m = in.Filter.match(problems)
		}
		if len(problems) > 0 {
			return invalid(c, problems)
		}
		ids := dedupe(in.IDs)
		if in.Filter != nil {
			if ids, err = m.ids(c.Request().Context(), q); err != nil {
				return err
			}
			if len(ids) > store.MaxBulk {
				return invalid(c, map[string]string{"filter": "matches more than " + strconv.Itoa(store.MaxBulk) + " jobs: narrow it"})
			}
		}
		res, err := st.BulkJobs(c.Request().Context(), auditActor(c), in.Action, ids)
		if err != nil {
			return err
		}
		publishRuns(c, pub, res.Runs)
		return answerBulk(c, in.Action, len(ids), res)
	}
}

// handleAPIRunsBulk serves POST /api/runs/bulk {action: retry, ids | filter}.
func handleAPIRunsBulk(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in bulkRunsInput
		problems, err := decodeJSON(c, &in)
		if err != nil {
			return err
		}
		if problems == nil {
			problems = map[string]string{}
		}
		if in.Action != store.BulkRetry {
			problems["action"] = "must be retry"
		}
		checkBulkIDs(in.IDs, in.Filter != nil, problems)
		var m runMatch
		if in.Filter != nil {
			m = in.Filter.match(problems)
		}
		if len(problems) > 0 {
			return invalid(c, problems)
		}
		ids := dedupe(in.IDs)
		if in.Filter != nil {
			if ids, err = m.ids(c.Request().Context(), q); err != nil {
				return err
			}
			if len(ids) > store.MaxBulk {
				return invalid(c, map[string]string{"filter": "matches more than " + strconv.Itoa(store.MaxBulk) + " runs: narrow it"})
			}
		}
		res, err := st.BulkRetryRuns(c.Request().Context(), auditActor(c), ids)
		if err != nil {
			return err
		}
		publishRuns(c, pub, res.Runs)
		return answerBulk(c, in.Action, len(ids), res)
	}
}

// dedupe is ids with each once, in their order.
func dedupe(ids []int64) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
