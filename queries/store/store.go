// Package store owns Cronflow's write side: every change to jobs, runs, channels, users and API
// tokens, validated and recorded in the audit log in the transaction that makes it, and the import,
// export and admin bootstrap that the command line shares with the HTTP API. Each change takes the
// actor the audit log names; nothing here knows about HTTP or pages.
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
)

// DB is where the store reads and makes its changes: a *pgxpool.Pool, or in tests the pgx.Tx the
// test runs in, whose Begin makes a savepoint.
type DB interface {
	sqlcgen.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store makes the changes of the domain, each in one transaction with its audit entries.
type Store struct {
	db DB
	q  *sqlcgen.Queries
	// adminUser is the bootstrap admin's name (CRONFLOW_ADMIN_USER), who always stays an enabled
	// admin; "" when authentication is off.
	adminUser string
	// keys seals the values of secrets; nil (no CRONFLOW_SECRET_KEY) refuses to store any.
	keys *secret.Keyring
	// importing holds a token while an import runs (see ErrImportBusy).
	importing chan struct{}
	// Notices, if set, publishes the notices a change makes (tellUntold) once it has committed;
	// unset, the Reaper publishes them.
	Notices NoticePublisher
}

// New is a store over db. adminUser names the bootstrap admin, whom no change may demote, disable
// or delete; keys seals secrets, and nil refuses them.
func New(db DB, adminUser string, keys *secret.Keyring) *Store {
	return &Store{db: db, q: sqlcgen.New(db), adminUser: adminUser, keys: keys, importing: make(chan struct{}, 1)}
}

// Entry is one change as the audit log records it.
type Entry struct {
	Action string
	// Subject names what changed: a job's, a user's or a token's name.
	Subject string
	JobID   *int64
	Changes map[string]FieldChange
}

// write runs change in one transaction and records the entries it returns in the same
// transaction, as actor's: a change is never stored without its record, nor the other way round.
// It is the one way the audit log is written.
func (s *Store) write(ctx context.Context, actor string, change func(q *sqlcgen.Queries) ([]Entry, error)) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := sqlcgen.New(tx)
	entries, err := change(q)
	if err != nil {
		return err
	}
	if err := record(ctx, q, actor, entries); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// auditBatch is how many entries one statement records.
const auditBatch = 1000

// record stores entries as actor's: a batch per statement when every entry is about a job (an
// import's thousands), one statement each otherwise.
func record(ctx context.Context, q *sqlcgen.Queries, actor string, entries []Entry) error {
	aboutJobs := !slices.ContainsFunc(entries, func(e Entry) bool { return e.JobID == nil })
	if len(entries) < 2 || !aboutJobs {
		for _, e := range entries {
			if err := q.AuditInsert(ctx, e.params(actor)); err != nil {
				return fmt.Errorf("record %s: %w", e.Action, err)
			}
		}
		return nil
	}
	for batch := range slices.Chunk(entries, auditBatch) {
		p := sqlcgen.AuditInsertManyParams{Actor: actor}
		for _, e := range batch {
			one := e.params(actor)
			p.Actions = append(p.Actions, one.Action)
			p.Subjects = append(p.Subjects, one.Subject)
			p.JobIds = append(p.JobIds, *one.JobID)
			p.Changes = append(p.Changes, one.Changes)
		}
		if err := q.AuditInsertMany(ctx, p); err != nil {
			return fmt.Errorf("record %d changes: %w", len(batch), err)
		}
	}
	return nil
}

// params is the entry as actor's, ready to store.
func (e Entry) params(actor string) sqlcgen.AuditInsertParams {
	changes, _ := json.Marshal(e.Changes) // raw JSON values and strings: it cannot fail
	if e.Changes == nil {
		changes = []byte("{}")
	}
	return sqlcgen.AuditInsertParams{Actor: actor, Action: e.Action, Subject: e.Subject, JobID: e.JobID, Changes: changes}
}

// ifChanged is the entry, unless nothing changed: saving a form unchanged is not worth a record.
func ifChanged(e Entry) []Entry {
	if len(e.Changes) == 0 {
		return nil
	}
	return []Entry{e}
}

// lockedChange reads the row id locked until its transaction ends, makes the change and records
// the entries the change returns, in one audited transaction, and answers the row as it was. A row
// that does not exist is pgx.ErrNoRows.
func lockedChange[T any](ctx context.Context, s *Store, actor string, id int64, lock func(*sqlcgen.Queries, context.Context, int64) (T, error),
	change func(q *sqlcgen.Queries, old T) ([]Entry, error)) (T, error) {
	var old T
	err := s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		if old, err = lock(q, ctx, id); err != nil {
			return nil, err
		}
		return change(q, old)
	})
	return old, err
}
