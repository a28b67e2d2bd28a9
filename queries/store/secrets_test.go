package store

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
)

// setupSecrets is a store that can seal secrets, on a transaction of its own.
func setupSecrets(t *testing.T) (*Store, *sqlcgen.Queries) {
	t.Helper()
	keys, err := secret.NewKeyring(bytes.Repeat([]byte{7}, secret.KeySize), nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := dbtest.Tx(t)
	return New(tx, "", keys), sqlcgen.New(tx)
}

func TestSecretChangesAreRecordedByNameNeverByValue(t *testing.T) {
	t.Parallel()
	s, q := setupSecrets(t)
	ctx := context.Background()
	if _, problems, err := s.CreateSecret(ctx, "alice", "API_KEY", "first-value-123"); err != nil || len(problems) > 0 {
		t.Fatalf("create: %v %v", problems, err)
	}
	if _, problems, err := s.UpdateSecret(ctx, "bob", "API_KEY", "second-value-456"); err != nil || len(problems) > 0 {
		t.Fatalf("update: %v %v", problems, err)
	}
	if _, err := s.DeleteSecret(ctx, "carol", "API_KEY"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	log := auditLog(t, q)
	want := []struct{ actor, action string }{{"alice", "secret.create"}, {"bob", "secret.update"}, {"carol", "secret.delete"}}
	if len(log) != len(want) {
		t.Fatalf("audit log has %d entries, want %d: %+v", len(log), len(want), log)
	}
	for i, w := range want {
		e := log[i]
		if e.Actor != w.actor || e.Action != w.action || e.Subject != "API_KEY" || e.JobID != nil {
			t.Errorf("entry %d = %s %s %s, want %s %s API_KEY", i, e.Actor, e.Action, e.Subject, w.actor, w.action)
		}
		if c := string(e.Changes); strings.Contains(c, "value-123") || strings.Contains(c, "value-456") || !strings.Contains(c, `"value"`) {
			t.Errorf("entry %d changes = %s, want the value named as changed and never shown", i, c)
		}
	}
}

func TestARefusedSecretChangeIsNotRecorded(t *testing.T) {
	t.Parallel()
	s, q := setupSecrets(t)
	ctx := context.Background()
	if _, problems, _ := s.CreateSecret(ctx, "alice", "bad name!", "v"); len(problems) == 0 {
		t.Fatal("a bad name was accepted")
	}
	if _, _, err := s.UpdateSecret(ctx, "alice", "MISSING", "value"); err == nil {
		t.Fatal("updating a missing secret succeeded")
	}
	if log := auditLog(t, q); len(log) != 0 {
		t.Errorf("refused changes were recorded: %+v", log)
	}
}
