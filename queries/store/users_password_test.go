package store

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestOnlyTheBootstrapAdminItselfChangesItsPassword(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "root")
	ctx := context.Background()
	if err := s.EnsureAdmin(ctx, "environment", "root", "first password"); err != nil {
		t.Fatal(err)
	}
	root, _ := q.UserGetByName(ctx, "root")
	other, _, err := s.CreateUser(ctx, "root", UserChange{Name: "bob", Password: ptr("bob's password"), Role: ptr("admin")})
	if err != nil {
		t.Fatal(err)
	}
	before := len(auditLog(t, q))
	bob := Caller{UserID: other.ID, Name: "bob", Role: RoleAdmin}
	_, _, err = s.UpdateUser(ctx, "bob", bob, root, UserChange{Password: ptr("taken over now")})
	if !errors.Is(err, ErrBootstrapPassword) {
		t.Fatalf("another admin's reset: %v, want ErrBootstrapPassword", err)
	}
	if after, _ := q.UserGet(ctx, root.ID); after.PasswordHash != root.PasswordHash {
		t.Error("the refused reset changed the password")
	}
	if log := auditLog(t, q); len(log) != before {
		t.Errorf("a refused reset was recorded: %+v", log[before:])
	}
	self := Caller{UserID: root.ID, Name: "root", Role: RoleAdmin}
	if _, problems, err := s.UpdateUser(ctx, "root", self, root, UserChange{Password: ptr("its own choice")}); err != nil || len(problems) > 0 {
		t.Fatalf("the bootstrap admin's own change: %v %v", problems, err)
	}
	after, _ := q.UserGet(ctx, root.ID)
	if bcrypt.CompareHashAndPassword([]byte(after.PasswordHash), []byte("its own choice")) != nil {
		t.Error("the bootstrap admin's own change was not stored")
	}
}

func TestAPasswordResetRevokesTheUsersTokens(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "root")
	ctx := context.Background()
	admin, _, err := s.CreateUser(ctx, "root", UserChange{Name: "ann", Password: ptr("ann's password"), Role: ptr("admin")})
	if err != nil {
		t.Fatal(err)
	}
	dee, _, err := s.CreateUser(ctx, "root", UserChange{Name: "dee", Password: ptr("dee's password"), Role: ptr("editor")})
	if err != nil {
		t.Fatal(err)
	}
	token, _, _, err := s.CreateToken(ctx, "dee", Caller{UserID: dee.ID, Name: "dee", Role: RoleEditor}, TokenInput{Name: "ci", Role: "editor"})
	if err != nil {
		t.Fatal(err)
	}
	ann := Caller{UserID: admin.ID, Name: "ann", Role: RoleAdmin}
	if _, problems, err := s.UpdateUser(ctx, "ann", ann, dee, UserChange{Password: ptr("a reset password")}); err != nil || len(problems) > 0 {
		t.Fatalf("reset: %v %v", problems, err)
	}
	if _, err := q.APITokenAuthenticate(ctx, HashToken(token)); err == nil {
		t.Error("the user's token still opens the API after a reset")
	}
	log := auditLog(t, q)
	if last := log[len(log)-1]; last.Action != "token.revoke" || last.Subject != "ci" || last.Actor != "ann" {
		t.Errorf("the last entry is %s %s by %s, want token.revoke ci by ann", last.Action, last.Subject, last.Actor)
	}
}

func TestChangingOnesOwnPasswordKeepsOnesTokens(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "")
	ctx := context.Background()
	dee, _, err := s.CreateUser(ctx, "root", UserChange{Name: "dee", Password: ptr("dee's password"), Role: ptr("editor")})
	if err != nil {
		t.Fatal(err)
	}
	caller := Caller{UserID: dee.ID, Name: "dee", Role: RoleEditor}
	token, _, _, err := s.CreateToken(ctx, "dee", caller, TokenInput{Name: "ci", Role: "editor"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeOwnPassword(ctx, "dee", caller, "a new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.APITokenAuthenticate(ctx, HashToken(token)); err != nil {
		t.Errorf("one's own password change revoked one's token: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
