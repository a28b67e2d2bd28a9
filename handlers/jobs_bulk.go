package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/task"
)

// Bulk actions on jobs (issue 27): the jobs page's ticked rows or "every job matching", asked for
// once and confirmed once, and POST /api/jobs/bulk.

// jobMatch is the job list's filters as the queries take them, which a bulk action resolves to
// ids when it is confirmed, so that "all matching" means the jobs that match then.
type jobMatch struct {
	Pattern, Term, Tag string
	Type               *string
	Paused             pgtype.Bool
	Failing            bool
}

// jobFilterInput is the job list's filters as a form or a client gives them.
type jobFilterInput struct {
	Q     string `json:"q"`
	Type  string `json:"type"`
	State string `json:"state"`
	Tag   string `json:"tag"`
}

// match checks the filters and turns them into a jobMatch, with problems named "filter.<field>".
func (f jobFilterInput) match(problems map[string]string) jobMatch {
	var m jobMatch
	if q := strings.TrimSpace(f.Q); q != "" {
		if len([]rune(q)) < minSearch {
			problems["filter.q"] = fmt.Sprintf("must be at least %d characters", minSearch)
		}
		m.Pattern, m.Term = "%"+likeEscaper.Replace(q)+"%", strings.ToLower(q)
	}
	if f.Type != "" {
		if !slices.Contains(task.Names(), f.Type) {
			problems["filter.type"] = "must be one of " + strings.Join(task.Names(), ", ")
		}
		m.Type = &f.Type
	}
	switch f.State {
	case "":
	case "active", "paused":
		m.Paused = pgtype.Bool{Bool: f.State == "paused", Valid: true}
	case "failing":
		m.Failing = true
	default:
		problems["filter.state"] = "must be active, paused or failing"
	}
	if f.Tag != "" && !store.ValidTag(f.Tag) {
		problems["filter.tag"] = "must be a tag: lower-case letters, digits, '-', '_' and ':'"
	}
	m.Tag = f.Tag
	return m
}

// count is how many jobs match, up to one more than a bulk action takes.
func (m jobMatch) count(ctx context.Context, q *sqlcgen.Queries) (int64, error) {
	n, err := q.JobCountMatching(ctx, sqlcgen.JobCountMatchingParams{Pattern: m.Pattern, Term: m.Term, Tag: m.Tag, Type: m.Type,
		Paused: m.Paused, Failing: m.Failing, MaxRows: store.MaxBulk + 1})
	if err != nil {
		return 0, fmt.Errorf("count matching jobs: %w", err)
	}
	return n, nil
}

// ids resolves the filters to the jobs that match now, up to one more than a bulk action takes.
func (m jobMatch) ids(ctx context.Context, q *sqlcgen.Queries) ([]int64, error) {
	ids, err := q.JobIDsMatching(ctx, sqlcgen.JobIDsMatchingParams{Pattern: m.Pattern, Term: m.Term, Tag: m.Tag, Type: m.Type,
		Paused: m.Paused, Failing: m.Failing, MaxRows: store.MaxBulk + 1})
	if err != nil {
		return nil, fmt.Errorf("list matching jobs: %w", err)
	}
	return ids, nil
}

// bulkIDs reads the ids a bulk request lists: positive, each once, at most store.MaxBulk.
func bulkIDs(values []string, problems map[string]string) []int64 {
	var ids []int64
	for _, v := range values {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			problems["ids"] = "must list ids, which are positive numbers"
			continue
		}
		ids = append(ids, id)
	}
	ids = dedupe(ids)
	if len(ids) > store.MaxBulk {
		problems["ids"] = fmt.Sprintf("must list at most %s ids", views.Thousands(store.MaxBulk))
	}
	return ids
}

// tooMany is the refusal of a filter that matches more than a bulk action takes.
func tooMany(what string) string {
	return fmt.Sprintf("More than %s %s match: a bulk action takes at most %s. Narrow the filters and try again.",
		views.Thousands(store.MaxBulk), what, views.Thousands(store.MaxBulk))
}

// bulkJobsForm is the jobs page's bulk form as posted.
type bulkJobsForm struct {
	Action string
	IDs    []int64
	All    bool // every job matching Filter, resolved when confirmed
	Filter jobFilterInput
	Back   string
}

// readBulkJobsForm reads the bulk form; problems name its fields.
func readBulkJobsForm(c echo.Context, problems map[string]string) (bulkJobsForm, error) {
	form, err := readForm(c)
	if err != nil {
		return bulkJobsForm{}, err
	}
	f := bulkJobsForm{
		Action: form.Get("action"), All: form.Get("all") == "1", Back: localPath(form.Get("back"), "/jobs"),
		Filter: jobFilterInput{Q: form.Get("filter.q"), Type: form.Get("filter.type"), State: form.Get("filter.state"), Tag: form.Get("filter.tag")},
	}
	if !f.All {
		f.IDs = bulkIDs(form["ids"], problems)
	}
	return f, nil
}

// handleJobsBulk serves POST /jobs/bulk, the jobs page's bulk bar. Without confirm=1 it answers the
// confirmation (a dialog for htmx, a page without JavaScript), which says how many jobs and what
// will happen; with it, it acts and goes back to the list with what it did. Nothing happens
// without the confirmation.
func handleJobsBulk(q *sqlcgen.Queries, st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		problems := map[string]string{}
		f, err := readBulkJobsForm(c, problems)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		m := f.Filter.match(problems)
		if !slices.Contains(store.JobBulkActions, f.Action) {
			return redirectAfter(c, f.Back, "Pick an action: pause, resume, run now or delete.")
		}
		if len(problems) > 0 {
			return redirectAfter(c, f.Back, "The selection is not valid: "+firstProblem(problems))
		}
		ids := f.IDs
		if f.All {
			if ids, err = m.ids(ctx, q); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return redirectAfter(c, f.Back, "Tick the jobs first, or pick “Select all matching”.")
		}
		d := views.BulkConfirm{Kind: "jobs", Action: f.Action, Count: len(ids), All: f.All, IDs: f.IDs, Back: f.Back,
			Filter: map[string]string{"filter.q": f.Filter.Q, "filter.type": f.Filter.Type, "filter.state": f.Filter.State, "filter.tag": f.Filter.Tag}}
		if len(ids) > store.MaxBulk {
			d.Refusal = tooMany("jobs")
		}
		if c.FormValue("confirm") != "1" || d.Refusal != "" {
			return renderBulkConfirm(c, d)
		}
		res, err := st.BulkJobs(ctx, auditActor(c), f.Action, ids)
		if err != nil {
			return err
		}
		publishRuns(c, pub, res.Runs)
		c.Response().Header().Set("HX-Trigger", "runs-changed")
		return redirectAfter(c, f.Back, views.BulkDone("jobs", f.Action, len(res.Done), skipCounts(res.Skipped)))
	}
}

// renderBulkConfirm answers a bulk action's confirmation: a dialog for htmx, a page otherwise.
func renderBulkConfirm(c echo.Context, d views.BulkConfirm) error {
	if isHTMX(c) {
		return render(c, http.StatusOK, views.BulkDialog(d))
	}
	return render(c, http.StatusOK, views.BulkPage(newPage(c, d.Title(), d.Kind), d))
}

// publishRuns sends the runs a bulk action made or queued again, once it has committed.
func publishRuns(c echo.Context, pub RunPublisher, runs []sqlcgen.Run) {
	if len(runs) == 0 {
		return
	}
	msgs := make([]runmsg.Message, len(runs))
	for i, r := range runs {
		msgs[i] = runmsg.Message{RunID: r.ID, JobID: r.JobID}
	}
	pub.Publish(c.Request().Context(), msgs)
}

// firstProblem is one problem of a set, "field: problem", for a flash message.
func firstProblem(problems map[string]string) string {
	keys := make([]string, 0, len(problems))
	for k := range problems {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[0] + " " + problems[keys[0]] + "."
}

// skipCounts counts the ids a bulk action passed over by reason, for its message.
func skipCounts(skips []store.BulkSkip) map[string]int {
	out := map[string]int{}
	for _, s := range skips {
		out[s.Reason]++
	}
	return out
}
