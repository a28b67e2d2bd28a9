package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
)

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
		rows, err := listAudit(c.Request().Context(), q, jobID, currentPrincipal(c).Role.AtLeast(roleAdmin), before, int32(limit)+1)
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
