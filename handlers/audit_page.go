package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// auditPageSize is how many entries the audit log page shows at a time.
const auditPageSize = 50

// handleAuditPage serves GET /audit?actor=&action=&job_id=&before=&after=, the audit log newest
// first: every entry for an admin, the entries about jobs for anyone else, as GET /api/audit
// decides. For htmx (the filters) it answers with the table alone.
func handleAuditPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		l, err := auditList(c, q)
		if err != nil {
			return err
		}
		if isHTMX(c) {
			return render(c, http.StatusOK, views.AuditTable(l))
		}
		return render(c, http.StatusOK, views.AuditPage(newPage(c, "Audit log", "audit"), l, auditActionOptions(l.AllEntries)))
	}
}

// auditList reads one page of the log with the request's filters. A job filter that is not a job
// id is dropped with a note naming it, like the runs page's filters.
func auditList(c echo.Context, q *sqlcgen.Queries) (views.AuditList, error) {
	f := views.AuditFilter{Actor: strings.TrimSpace(c.QueryParam("actor")), Action: c.QueryParam("action")}
	l := views.AuditList{AllEntries: currentPrincipal(c).Role.AtLeast(roleAdmin)}
	p := sqlcgen.AuditSearchBeforeParams{JobsOnly: !l.AllEntries, MaxRows: auditPageSize + 1}
	if f.Actor != "" {
		p.Actor = &f.Actor
	}
	if f.Action = strings.TrimSpace(f.Action); f.Action != "" && len(f.Action) <= 64 {
		p.Action = &f.Action
	} else {
		f.Action = ""
	}
	if v := strings.TrimSpace(c.QueryParam("job_id")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			l.Note = fmt.Sprintf("Job: “%s” is not a job id (a number, as in /jobs/12), so it was left out.", v)
		} else {
			p.JobID, f.JobID = &id, itoa64(id)
		}
	}
	l.Filter = f
	cur := readCursor(c)
	rows, err := fetchAudit(c.Request().Context(), q, p, cur)
	if err != nil {
		return l, fmt.Errorf("list audit entries: %w", err)
	}
	rows, more := trimPage(rows, auditPageSize, cur.after > 0)
	now := time.Now()
	ids := make([]int64, len(rows))
	all := make([]map[string]store.FieldChange, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		_ = json.Unmarshal(r.Changes, &all[i])
	}
	names, err := loadAuditNames(c.Request().Context(), q, all)
	if err != nil {
		return l, err
	}
	for i, r := range rows {
		l.Rows = append(l.Rows, toAuditEntry(r, all[i], names, now))
	}
	params := url.Values{"actor": {f.Actor}, "action": {f.Action}, "job_id": {f.JobID}}
	l.Newer, l.Older = pageLinks("/audit", params, ids, cur, more)
	return l, nil
}

// fetchAudit reads a page of entries below or above the cursor, one more than a page.
func fetchAudit(ctx context.Context, q *sqlcgen.Queries, p sqlcgen.AuditSearchBeforeParams, cur cursor) ([]sqlcgen.AuditSearchBeforeRow, error) {
	if cur.after == 0 {
		p.BeforeID = cur.beforeID()
		return q.AuditSearchBefore(ctx, p)
	}
	up, err := q.AuditSearchAfter(ctx, sqlcgen.AuditSearchAfterParams{AfterID: cur.after, JobsOnly: p.JobsOnly,
		Actor: p.Actor, Action: p.Action, JobID: p.JobID, MaxRows: p.MaxRows})
	out := make([]sqlcgen.AuditSearchBeforeRow, len(up))
	for i, r := range up {
		out[i] = sqlcgen.AuditSearchBeforeRow(r)
	}
	return out, err
}

// toAuditEntry is an entry as the page shows it; its changes were masked when they were recorded.
func toAuditEntry(r sqlcgen.AuditSearchBeforeRow, changes map[string]store.FieldChange, names *auditNames, now time.Time) views.AuditEntry {
	e := views.AuditEntry{AuditRow: views.AuditRow{When: views.NewMoment(&r.At, now, nil), Actor: r.Actor, Action: r.Action,
		Changes: toAuditChanges(changes, names)}, Subject: r.Subject, JobName: r.JobName}
	if r.JobID != nil {
		e.JobID = *r.JobID
	}
	return e
}

// auditActionOptions are the actions the filter offers, in words: those about jobs for people who
// see only those entries.
func auditActionOptions(all bool) []views.Option {
	var opts []views.Option
	for action, label := range views.AuditActions() {
		if all || strings.HasPrefix(action, "job.") || strings.HasPrefix(action, "run.") {
			opts = append(opts, views.Option{Value: action, Label: label})
		}
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	return opts
}
