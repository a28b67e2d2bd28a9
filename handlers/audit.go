package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// TxStarter starts the transactions in which changes are made and audited: a *pgxpool.Pool, or in
// tests the pgx.Tx the test runs in, whose Begin makes a savepoint.
type TxStarter interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// localActor is the actor of every change while authentication is off.
const localActor = "local"

// auditActor is who the audit log says made the request's changes: the API token's name, the
// user's, or "local" without authentication.
func auditActor(c echo.Context) string {
	p := currentPrincipal(c)
	switch {
	case p.Via == credToken && p.Token != "":
		return p.Token
	case p.Name != "":
		return p.Name
	}
	return localActor
}

// fieldChange is one field's value before and after a change; null is "not there".
type fieldChange struct {
	From json.RawMessage `json:"from"`
	To   json.RawMessage `json:"to"`
}

// auditEntry is one change as the audit log records it.
type auditEntry struct {
	Action string
	// Subject names what changed: a job's, a user's or a token's name.
	Subject string
	JobID   *int64
	Changes map[string]fieldChange
}

// audited runs change in one transaction and records the entries it returns in the same
// transaction, as the request's actor: a change is never stored without its record, nor the other
// way round.
func audited(c echo.Context, db TxStarter, change func(q *sqlcgen.Queries) ([]auditEntry, error)) error {
	ctx := c.Request().Context()
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := sqlcgen.New(tx)
	entries, err := change(q)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := q.AuditInsert(ctx, e.params(auditActor(c))); err != nil {
			return fmt.Errorf("record %s: %w", e.Action, err)
		}
	}
	return tx.Commit(ctx)
}

// params is the entry as actor's, ready to store.
func (e auditEntry) params(actor string) sqlcgen.AuditInsertParams {
	changes, _ := json.Marshal(e.Changes) // raw JSON values and strings: it cannot fail
	if e.Changes == nil {
		changes = []byte("{}")
	}
	return sqlcgen.AuditInsertParams{Actor: actor, Action: e.Action, Subject: e.Subject, JobID: e.JobID, Changes: changes}
}

// jobEntry is the audit entry of a change to a job, from before to after (nil when it did not
// exist, or no longer does).
func jobEntry(action string, before, after *sqlcgen.Job) auditEntry {
	j := after
	if j == nil {
		j = before
	}
	return auditEntry{Action: action, Subject: j.Name, JobID: &j.ID, Changes: jobChanges(before, after)}
}

// runEntry is the audit entry of a run made with Run now.
func runEntry(job sqlcgen.Job, run sqlcgen.Run) auditEntry {
	changes := map[string]fieldChange{"run_id": newValue(run.ID)}
	return auditEntry{Action: "job.run", Subject: job.Name, JobID: &job.ID, Changes: changes}
}

// newValue is the change of a field that was not there before an action made it: a run's id.
func newValue(v any) fieldChange {
	raw, _ := json.Marshal(v) // numbers and lists of them: it cannot fail
	return fieldChange{From: orNull(nil), To: raw}
}

// jobChanges lists the fields that differ between two versions of a job. Values are compared as
// stored and shown masked (see task.Mask), so that a changed secret shows as a change without
// showing the secret. Only a payload holds secrets, so only a changed payload field is masked.
func jobChanges(before, after *sqlcgen.Job) map[string]fieldChange {
	return maskedChanges(jobFields(before), jobFields(after), payloadPrefix, func() (from, to map[string]json.RawMessage) {
		return maskedPayload(before), maskedPayload(after)
	})
}

// maskedChanges lists the fields that differ between two versions of something, compared as
// stored. A changed field whose name starts with prefix is shown as the masked versions have it;
// masked is called once, and only if such a field changed.
func maskedChanges(from, to map[string]json.RawMessage, prefix string, masked func() (from, to map[string]json.RawMessage)) map[string]fieldChange {
	changes := diffFields(from, to)
	var shownFrom, shownTo map[string]json.RawMessage
	shown := false
	for name := range changes {
		if strings.HasPrefix(name, prefix) {
			if !shown {
				shownFrom, shownTo = masked()
				shown = true
			}
			changes[name] = fieldChange{From: orNull(shownFrom[name]), To: orNull(shownTo[name])}
		}
	}
	return changes
}

// diffFields lists the fields whose values differ between two versions of something.
func diffFields(from, to map[string]json.RawMessage) map[string]fieldChange {
	changes := map[string]fieldChange{}
	for _, name := range unionKeys(from, to) {
		if !sameJSON(from[name], to[name]) {
			changes[name] = fieldChange{From: orNull(from[name]), To: orNull(to[name])}
		}
	}
	return changes
}

// payloadPrefix starts the names of a payload's fields in the audit log's changes.
const payloadPrefix = "payload."

// jobFields is a job as the audit log compares it: its export fields as JSON values, the payload
// and the alerts field by field ("payload.url", "alerts.after"). A nil job has none.
func jobFields(j *sqlcgen.Job) map[string]json.RawMessage {
	fields := map[string]json.RawMessage{}
	if j == nil {
		return fields
	}
	raw, _ := json.Marshal(toTransferJob(*j))
	_ = json.Unmarshal(raw, &fields)
	for _, name := range []string{"payload", "alerts"} {
		if sub := subFields(name, fields[name]); sub != nil {
			delete(fields, name)
			maps.Copy(fields, sub)
		}
	}
	return fields
}

// maskedPayload is a job's payload fields as lists show them, secrets masked.
func maskedPayload(j *sqlcgen.Job) map[string]json.RawMessage {
	if j == nil {
		return nil
	}
	return subFields("payload", task.Mask(j.Type, j.Payload))
}

// subFields are the fields of a job's object field (its payload, its alerts), each named
// "<name>.<field>"; nil if the value is no object.
func subFields(name string, value json.RawMessage) map[string]json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(value, &fields) != nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		out[name+"."+k] = v
	}
	return out
}

func unionKeys(a, b map[string]json.RawMessage) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// sameJSON reports whether two JSON texts hold the same value, whatever their spacing.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) || len(a) == 0 || len(b) == 0 {
		return bytes.Equal(a, b) // a field that is not there is not the same as any value
	}
	var x, y any
	decode := func(raw json.RawMessage, v *any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		return d.Decode(v)
	}
	if decode(a, &x) != nil || decode(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// auditJSON is an audit entry as the API shows it.
type auditJSON struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	JobID   *int64          `json:"job_id"`
	Changes json.RawMessage `json:"changes"`
}

// handleAPIAuditList serves GET /api/audit?job_id=&limit=&before=, the audit log newest first:
// every entry for an admin, the entries about jobs for anyone else.
func handleAPIAuditList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit, before, jobID, problems := newestPageParams(c)
		if len(problems) > 0 {
			return badQuery(c, problems)
		}
		rows, err := listAudit(c.Request().Context(), q, jobID, currentPrincipal(c).Role.atLeast(roleAdmin), before, int32(limit)+1)
		if err != nil {
			return fmt.Errorf("list audit entries: %w", err)
		}
		out := struct {
			Entries    []auditJSON `json:"entries"`
			NextBefore *int64      `json:"next_before"`
		}{Entries: []auditJSON{}}
		if len(rows) > limit {
			rows = rows[:limit]
			out.NextBefore = &rows[limit-1].ID
		}
		for _, r := range rows {
			out.Entries = append(out.Entries, auditJSON{ID: r.ID, At: r.At, Actor: r.Actor, Action: r.Action,
				Subject: r.Subject, JobID: r.JobID, Changes: r.Changes})
		}
		return c.JSON(http.StatusOK, out)
	}
}

// listAudit reads a page of the log, or of one job's history when jobID is set. Only admins, who
// manage users and tokens, see the entries about them.
func listAudit(ctx context.Context, q *sqlcgen.Queries, jobID int64, admin bool, before int64, limit int32) ([]sqlcgen.AuditLog, error) {
	switch {
	case jobID > 0:
		return q.AuditListByJob(ctx, sqlcgen.AuditListByJobParams{JobID: &jobID, BeforeID: before, MaxRows: limit})
	case !admin:
		return q.AuditListOfJobs(ctx, sqlcgen.AuditListOfJobsParams{BeforeID: before, MaxRows: limit})
	}
	return q.AuditList(ctx, sqlcgen.AuditListParams{BeforeID: before, MaxRows: limit})
}
