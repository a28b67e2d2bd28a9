package handlers

import (
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
)

// The changes to a job that the API and the dashboard share. Each reads the job it changes with a
// lock, changes it and records the change in the audit log, in one transaction.

// insertJob stores a new job.
func insertJob(c echo.Context, db TxStarter, spec jobSpec) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	err := audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		var err error
		if job, err = q.JobInsert(c.Request().Context(), spec.insertParams()); err != nil {
			return nil, fmt.Errorf("insert job: %w", err)
		}
		return []auditEntry{jobEntry("job.create", nil, &job)}, nil
	})
	return job, err
}

// updateJob replaces a job's settings. A job that does not exist is pgx.ErrNoRows.
func updateJob(c echo.Context, db TxStarter, id int64, spec jobSpec) (sqlcgen.Job, error) {
	var job sqlcgen.Job
	_, err := lockedChange(c, db, id, (*sqlcgen.Queries).JobGetForUpdate, func(ctx context.Context, q *sqlcgen.Queries, old sqlcgen.Job) ([]auditEntry, error) {
		var err error
		if job, err = q.JobUpdate(ctx, spec.updateParams(id)); err != nil {
			return nil, fmt.Errorf("update job %d: %w", id, err)
		}
		return ifChanged(jobEntry("job.update", &old, &job)), nil
	})
	return job, err
}

// deleteJob deletes a job and its runs, and answers the job as it was. A job that does not exist is
// pgx.ErrNoRows. Its audit history stays.
func deleteJob(c echo.Context, db TxStarter, id int64) (sqlcgen.Job, error) {
	return lockedChange(c, db, id, (*sqlcgen.Queries).JobGetForUpdate, func(ctx context.Context, q *sqlcgen.Queries, old sqlcgen.Job) ([]auditEntry, error) {
		if _, err := q.JobDelete(ctx, id); err != nil {
			return nil, fmt.Errorf("delete job %d: %w", id, err)
		}
		return []auditEntry{jobEntry("job.delete", &old, nil)}, nil
	})
}

// lockedChange reads the row id locked until its transaction ends, makes the change and records
// the entries the change returns, in one audited transaction, and answers the row as it was. A row
// that does not exist is pgx.ErrNoRows.
func lockedChange[T any](c echo.Context, db TxStarter, id int64, lock func(*sqlcgen.Queries, context.Context, int64) (T, error),
	change func(ctx context.Context, q *sqlcgen.Queries, old T) ([]auditEntry, error)) (T, error) {
	var old T
	err := audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		ctx := c.Request().Context()
		var err error
		if old, err = lock(q, ctx, id); err != nil {
			return nil, err
		}
		return change(ctx, q, old)
	})
	return old, err
}

// ifChanged is the entry, unless nothing changed: saving a form unchanged is not worth a record.
func ifChanged(e auditEntry) []auditEntry {
	if len(e.Changes) == 0 {
		return nil
	}
	return []auditEntry{e}
}
