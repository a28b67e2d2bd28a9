package queries_test

import (
	"context"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/task"
)

// The task and channel types are listed once, in their registries: no check in the database names
// them, so a new type is one file and no migration, and the registries refuse what they do not know.
func TestTypesAreListedOnlyByTheirRegistries(t *testing.T) {
	t.Parallel()
	tx := dbtest.Tx(t)
	rows, err := tx.Query(context.Background(), `
		SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE c.contype = 'c' AND c.conrelid IN ('jobs'::regclass, 'channels'::regclass) AND a.attname = 'type'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, def string
		if err := rows.Scan(&table, &name, &def); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s has the check %s on its type: %s; the registry is the list of types", table, name, def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if _, problems := task.Validate("ftp", []byte(`{}`)); problems["type"] == "" {
		t.Errorf("task.Validate accepted the unknown type ftp: %v", problems)
	}
	if _, problems := notify.Validate("pager", []byte(`{}`)); problems["type"] == "" {
		t.Errorf("notify.Validate accepted the unknown type pager: %v", problems)
	}
}
