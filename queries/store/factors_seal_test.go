package store

import (
	"context"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

func addTOTPUser(t *testing.T, q *sqlcgen.Queries, name string) int64 {
	t.Helper()
	u, err := q.UserInsert(context.Background(), sqlcgen.UserInsertParams{Username: name, PasswordHash: "x", Role: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestTOTPSecretsAtRest(t *testing.T) {
	t.Parallel()
	const plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	ctx := context.Background()

	t.Run("WithAKeyTheColumnHoldsOnlyTheSealedSecret", func(t *testing.T) {
		t.Parallel()
		s, q := setupSecrets(t)
		alice, bob := addTOTPUser(t, q, "alice"), addTOTPUser(t, q, "bob")
		if err := s.StartTOTP(ctx, alice, plain); err != nil {
			t.Fatal(err)
		}
		row, err := q.TOTPGet(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row.Secret, plain) || !strings.HasPrefix(row.Secret, sealedTOTPPrefix) {
			t.Fatalf("stored %q, want it sealed", row.Secret)
		}
		if got, err := s.TOTPSecret(row); err != nil || got != plain {
			t.Errorf("opened %q, %v; want the secret", got, err)
		}
		copied := row
		copied.UserID = bob
		if _, err := s.TOTPSecret(copied); err == nil {
			t.Error("a sealed secret copied onto another user's row opened")
		}
		if _, err := New(dbtest.Tx(t), "", nil).TOTPSecret(row); err == nil || !strings.Contains(err.Error(), "CRONFLOW_SECRET_KEY") {
			t.Errorf("without the key: %v, want an error naming CRONFLOW_SECRET_KEY", err)
		}
	})
	t.Run("WithoutAKeyItIsStoredAsItIs", func(t *testing.T) {
		t.Parallel()
		tx := dbtest.Tx(t)
		s, q := New(tx, "", nil), sqlcgen.New(tx)
		carol := addTOTPUser(t, q, "carol")
		if err := s.StartTOTP(ctx, carol, plain); err != nil {
			t.Fatal(err)
		}
		row, err := q.TOTPGet(ctx, carol)
		if err != nil || row.Secret != plain {
			t.Fatalf("stored %q, %v", row.Secret, err)
		}
		keyed, _ := setupSecrets(t)
		if got, err := keyed.TOTPSecret(row); err != nil || got != plain {
			t.Errorf("a plain secret read with a key set: %q, %v", got, err)
		}
	})
}
