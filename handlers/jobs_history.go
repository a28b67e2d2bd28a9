package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// historyRows is how many of a job's latest changes its page shows; GET /api/audit?job_id= has all.
const historyRows = 20

// jobHistory is a job's latest changes, as its page shows them.
func jobHistory(ctx context.Context, q *sqlcgen.Queries, jobID int64, now time.Time) ([]views.AuditRow, error) {
	rows, err := q.AuditListByJob(ctx, sqlcgen.AuditListByJobParams{JobID: &jobID, BeforeID: math.MaxInt64, MaxRows: historyRows})
	if err != nil {
		return nil, fmt.Errorf("history of job %d: %w", jobID, err)
	}
	all := make([]map[string]store.FieldChange, len(rows))
	for i, r := range rows {
		_ = json.Unmarshal(r.Changes, &all[i])
	}
	names, err := loadAuditNames(ctx, q, all)
	if err != nil {
		return nil, err
	}
	out := make([]views.AuditRow, len(rows))
	for i, r := range rows {
		out[i] = views.AuditRow{
			When: views.NewMoment(&r.At, now, nil), Actor: r.Actor, Action: r.Action, Changes: toAuditChanges(all[i], names),
		}
	}
	return out, nil
}

// toAuditChanges puts changes in the order of their field names, their values in words and the
// things they name by id named by names (nil: shown as ids, as an import's preview does).
func toAuditChanges(changes map[string]store.FieldChange, names *auditNames) []views.AuditChange {
	out := make([]views.AuditChange, 0, len(changes))
	for field, ch := range changes {
		out = append(out, views.AuditChange{Field: field, From: valueWords(ch.From), To: valueWords(ch.To),
			FromRefs: names.refValue(field, ch.From), ToRefs: names.refValue(field, ch.To)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// valueWords shows a JSON value to a person: a string without its quotes, null as a dash.
func valueWords(raw json.RawMessage) string {
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "–"
	case json.Unmarshal(raw, &s) == nil:
		return s
	}
	return strings.TrimSpace(string(raw))
}
