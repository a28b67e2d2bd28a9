package store

import (
	"context"
	"encoding/json"

	"github.com/cronflow/cronflow/sqlcgen"
)

// The changes to users, each made in one transaction with its audit entry. A password is never
// recorded: a changed password shows as secretValue.

// secretValue stands for a password in the audit log, which never holds one.
var secretValue = json.RawMessage(`"(secret)"`)

// userEntry is the audit entry of a change to a user, from before to after (nil when it did not
// exist, or no longer does); password says whether it was given a new password.
func userEntry(action string, before, after *sqlcgen.User, password bool) Entry {
	changes := diffFields(userFields(before), userFields(after))
	if password {
		changes["password"] = FieldChange{From: secretValue, To: secretValue}
		if before == nil {
			changes["password"] = FieldChange{From: orNull(nil), To: secretValue}
		}
	}
	u := after
	if u == nil {
		u = before
	}
	return Entry{Action: action, Subject: u.Username, Changes: changes}
}

// userFields is a user as the audit log compares it.
func userFields(u *sqlcgen.User) map[string]json.RawMessage {
	if u == nil {
		return map[string]json.RawMessage{}
	}
	name, _ := json.Marshal(u.Username)
	r, _ := json.Marshal(u.Role)
	disabled, _ := json.Marshal(u.DisabledAt != nil)
	return map[string]json.RawMessage{"name": name, "role": r, "disabled": disabled}
}

// CreateUser validates a new user, stores it and records it; problems are by field.
func (s *Store) CreateUser(ctx context.Context, actor string, in UserChange) (user sqlcgen.User, problems map[string]string, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		user, problems, err = createUser(ctx, q, in)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		return []Entry{userEntry("user.create", nil, &user, true)}, nil
	})
	return user, problems, err
}

// UpdateUser changes target as caller asks (see changeUser) and records what changed. A password
// reset by someone else also revokes the user's API tokens; the bootstrap admin's password is
// changed only by itself (ErrBootstrapPassword).
func (s *Store) UpdateUser(ctx context.Context, actor string, caller Caller, target sqlcgen.User, in UserChange) (user sqlcgen.User, problems map[string]string, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		user, problems, err = s.changeUser(ctx, q, caller, target, in)
		if err != nil || len(problems) > 0 {
			return nil, err
		}
		entries := ifChanged(userEntry("user.update", &target, &user, in.Password != nil))
		if in.Password == nil || caller.UserID == target.ID {
			return entries, nil
		}
		revoked, err := revokeTokensOf(ctx, q, target.ID)
		return append(entries, revoked...), err
	})
	return user, problems, err
}

// DeleteUser deletes a user (see deleteUser) and records it; refusal says why it was not deleted.
// A user that does not exist is pgx.ErrNoRows.
func (s *Store) DeleteUser(ctx context.Context, actor string, caller Caller, id int64) (refusal string, err error) {
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		target, err := q.UserGet(ctx, id)
		if err != nil {
			return nil, err
		}
		if refusal, err = s.deleteUser(ctx, q, caller, id); err != nil || refusal != "" {
			return nil, err
		}
		return []Entry{userEntry("user.delete", &target, nil, false)}, nil
	})
	return refusal, err
}

// ChangeOwnPassword gives the caller's user a new password, ending their other sessions, and
// records it. The password is checked already (see PasswordProblem).
func (s *Store) ChangeOwnPassword(ctx context.Context, actor string, caller Caller, password string) error {
	return s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		user, err := q.UserGet(ctx, caller.UserID)
		if err != nil {
			return nil, err
		}
		if err := setPassword(ctx, q, caller.UserID, password, caller.SessionID); err != nil {
			return nil, err
		}
		return []Entry{userEntry("user.password", &user, &user, true)}, nil
	})
}
