package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/retrypolicy"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
)

// minSearch is the shortest name search: the trigram index needs three characters to narrow a
// search down, and a shorter one would read every job's name.
const minSearch = 3

// handleJobsPage serves GET /jobs?q=&type=&state=&tag=&before=&after=, every job a page at a time. For
// htmx (the filters, as the person types) it answers with the table alone.
func handleJobsPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		l, err := jobsList(c, q)
		if err != nil {
			return err
		}
		if isHTMX(c) {
			return render(c, http.StatusOK, views.JobsTable(l))
		}
		tags, err := tagChoices(c.Request().Context(), q, l.Filter.Tag)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.JobsPage(newPage(c, "Jobs", "jobs"), l, typeOptions(), tags))
	}
}

// jobsList reads one page of jobs as the request's query asks: newest first through the keyset,
// or, sorted by a column or narrowed to failing jobs, a numbered page (fetchSortedJobs).
func jobsList(c echo.Context, q *sqlcgen.Queries) (views.JobsList, error) {
	f := views.JobsFilter{
		Q:     strings.TrimSpace(c.QueryParam("q")),
		Type:  c.QueryParam("type"),
		State: c.QueryParam("state"),
		Sort:  c.QueryParam("sort"),
	}
	l := views.JobsList{Back: requestPath(c)}
	f.Tag, l.Note = pageTag(c) // issue 27
	var typ *string
	if slices.Contains(task.Names(), f.Type) {
		typ = &f.Type
	} else {
		f.Type = ""
	}
	var paused pgtype.Bool
	switch f.State {
	case "active", "paused":
		paused = pgtype.Bool{Bool: f.State == "paused", Valid: true}
	case "failing":
	default:
		f.State = ""
	}
	if !slices.Contains(jobSorts, f.Sort) {
		f.Sort = ""
	}
	pattern := ""
	if n := len([]rune(f.Q)); n > 0 && n < minSearch {
		l.Note = fmt.Sprintf("Type at least %d characters to search by name, description or tag.", minSearch)
	} else if n > 0 {
		pattern = "%" + likeEscaper.Replace(f.Q) + "%"
	}
	l.Filter = f
	ctx := c.Request().Context()
	params := url.Values{"q": {f.Q}, "type": {f.Type}, "state": {f.State}, "sort": {f.Sort}, "tag": {f.Tag}}
	m := jobMatch{Pattern: pattern, Term: strings.ToLower(f.Q), Tag: f.Tag, Type: typ, Paused: paused, Failing: f.State == "failing"}
	var rows []sqlcgen.JobListRow
	var err error
	if f.Sort != "" || f.State == "failing" {
		rows, l.Newer, l.Older, err = fetchSortedJobs(ctx, q, sqlcgen.JobListSortedParams{Pattern: pattern, Term: m.Term, Tag: f.Tag,
			Type: typ, Paused: paused, Failing: m.Failing, Sort: f.Sort}, readPage(c), params)
		l.Numbered = true
	} else {
		cur := readCursor(c)
		rows, err = fetchJobs(ctx, q, m, cur)
		var more bool
		rows, more = trimPage(rows, jobsPageSize, cur.after > 0)
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		l.Newer, l.Older = pageLinks("/jobs", params, ids, cur, more)
	}
	if err != nil {
		return l, fmt.Errorf("list jobs: %w", err)
	}
	if currentPrincipal(c).Role.AtLeast(roleEditor) { // "select all N matching" (issue 27)
		if l.Matching, err = m.count(ctx, q); err != nil {
			return l, err
		}
	}
	return l, addJobRows(ctx, q, &l, rows)
}

// addJobRows turns the page's jobs into rows, each with its failing state and its strip.
func addJobRows(ctx context.Context, q *sqlcgen.Queries, l *views.JobsList, rows []sqlcgen.JobListRow) error {
	now := time.Now()
	ids := make([]int64, len(rows))
	for i, r := range rows {
		l.Rows, ids[i] = append(l.Rows, toJobRow(r, now)), r.ID
	}
	tags, err := jobTags(ctx, q, ids) // issue 27
	if err != nil {
		return err
	}
	for i := range l.Rows {
		l.Rows[i].Tags, l.Rows[i].Description = tags[l.Rows[i].ID].Tags, tags[l.Rows[i].ID].Description
	}
	return decorateJobRows(ctx, q, l.Rows, now)
}

// likeEscaper makes a person's text match itself literally in an ILIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// fetchJobs runs the query for the page's shape, reading one row more than a page. Every shape
// selects the job_list_rows view, so all return the same row type.
func fetchJobs(ctx context.Context, q *sqlcgen.Queries, m jobMatch, cur cursor) ([]sqlcgen.JobListRow, error) {
	limit := int32(jobsPageSize + 1)
	typ, paused := m.Type, m.Paused
	switch {
	case m.Pattern == "" && cur.after > 0:
		return q.JobPageAfter(ctx, sqlcgen.JobPageAfterParams{AfterID: cur.after, Type: typ, Paused: paused, Tag: m.Tag, MaxRows: limit})
	case m.Pattern == "":
		return q.JobPageBefore(ctx, sqlcgen.JobPageBeforeParams{BeforeID: cur.beforeID(), Type: typ, Paused: paused, Tag: m.Tag, MaxRows: limit})
	case cur.after > 0:
		return q.JobSearchAfter(ctx, sqlcgen.JobSearchAfterParams{Pattern: m.Pattern, Term: m.Term, AfterID: cur.after, Type: typ,
			Paused: paused, Tag: m.Tag, MaxRows: limit})
	}
	return q.JobSearchBefore(ctx, sqlcgen.JobSearchBeforeParams{Pattern: m.Pattern, Term: m.Term, BeforeID: cur.beforeID(), Type: typ,
		Paused: paused, Tag: m.Tag, MaxRows: limit})
}

// toJobRow is a job as the list shows it. The next run's exact time is in the job's own zone.
func toJobRow(r sqlcgen.JobListRow, now time.Time) views.JobRow {
	return views.JobRow{
		ID: r.ID, Name: r.Name, Type: r.Type, TypeLabel: typeLabel(r.Type), Summary: payloadSummary(r.Type, r.Payload),
		Cron: r.Cron, Words: schedule.Describe(r.Cron), Timezone: r.Timezone, Paused: r.Paused,
		Created: views.NewMoment(&r.CreatedAt, now, nil), NextRun: views.NewMoment(r.NextRunAt, now, zone(r.Timezone)),
		LastStatus: r.LastRunStatus, Recent: oldestFirst(r.RecentStatuses),
	}
}

// handleJobPage serves GET /jobs/{id}: the job's settings, its actions, its runs and its history.
func handleJobPage(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pathJob(c, q)
		if err != nil {
			return err
		}
		showSigning(st, &job)
		d, health, runs, err := jobLiveParts(c, q, job)
		if err != nil {
			return err
		}
		history, err := jobHistory(c.Request().Context(), q, job.ID, time.Now())
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.JobPage(newPage(c, job.Name, "jobs"), d, health, runs, history))
	}
}

// toJobDetail is a job as its page shows it.
func toJobDetail(j sqlcgen.Job, back string, now time.Time) views.JobDetail {
	loc := zone(j.Timezone)
	d := views.JobDetail{
		ID: j.ID, Name: j.Name, Type: j.Type, TypeLabel: typeLabel(j.Type), Cron: j.Cron, Words: schedule.Describe(j.Cron),
		Timezone: j.Timezone, Payload: payloadSettings(j.Type, j.Payload), Paused: j.Paused,
		MaxRetries:  j.MaxRetries,
		RetryDelay:  views.DurationWords(time.Duration(j.RetryDelayMs) * time.Millisecond),
		Timeout:     views.DurationWords(time.Duration(j.TimeoutMs) * time.Millisecond),
		Catchup:     j.Catchup.Label(),
		Created:     views.NewMoment(&j.CreatedAt, now, nil),
		Updated:     views.NewMoment(&j.UpdatedAt, now, nil),
		Back:        back,
		Exponential: j.RetryBackoff == retrypolicy.BackoffExponential, RetryOnAny: j.RetryOn == retrypolicy.OnAny,
		SigningSecret: signingSecret(j),
		Tags:          j.Tags, Description: j.Description, // issue 27
	}
	chainDetail(&d, j)
	if j.PreviousSigningSecret != nil && j.PreviousSecretUntil != nil && j.PreviousSecretUntil.After(now) && d.SigningSecret != "" {
		d.PreviousSigningSecret = *j.PreviousSigningSecret
		d.PreviousSecretUntil = j.PreviousSecretUntil.UTC().Format("2006-01-02 15:04")
	}
	if j.NextRunAt != nil && !j.Paused {
		d.NextRun = views.NewMoment(j.NextRunAt, now, time.UTC)
		d.NextRunLocal = views.ShortExact(*j.NextRunAt, loc)
	}
	jobWindowDetail(&d, j, loc)
	d.NextRuns = jobNextRuns(j, now)
	return d
}

// jobWindowDetail puts a job's jitter and windows (issue 21) into words, times in its zone.
func jobWindowDetail(d *views.JobDetail, j sqlcgen.Job, loc *time.Location) {
	if j.JitterMs > 0 {
		jitter := time.Duration(j.JitterMs) * time.Millisecond
		d.Jitter = fmt.Sprintf("Up to %s; this job's slots are %s late", views.DurationWords(jitter),
			views.DurationWords(schedule.JitterOffset(j.ID, jitter)))
	}
	if j.StartAt != nil {
		d.StartAt = views.ShortExact(*j.StartAt, loc)
	}
	if j.EndAt != nil {
		d.EndAt = views.ShortExact(*j.EndAt, loc)
	}
	for _, b := range store.JobBlackouts(j) {
		d.Blackouts = append(d.Blackouts, views.ShortExact(b.From, loc)+" – "+views.ShortExact(b.To, loc))
	}
}
