package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cronflow/cronflow/sqlcgen"
)

// UserChange is a new user, or a change to one: the body of POST /api/users and PUT
// /api/users/{id}, and the dashboard's user forms. In a change, a field left out stays as it is.
type UserChange struct {
	Name     string  `json:"name"`
	Password *string `json:"password"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// Caller is who asks for a change to users or tokens, beyond the actor the audit log names: their
// user (0 without one), the session they asked in (0 without one), their name and role.
type Caller struct {
	UserID    int64
	SessionID int64
	Name      string
	Role      Role
}

// ErrBootstrapPassword refuses a change of the bootstrap admin's password by anyone but itself:
// the environment (CRONFLOW_ADMIN_PASSWORD) is the other way to set it.
var ErrBootstrapPassword = errors.New("only the bootstrap admin (CRONFLOW_ADMIN_USER) itself, or the environment, can change its password")

// userNamePattern is what a user name may be: something a person types into a login form and a
// log line shows unambiguously.
var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9._@+-]{1,100}$`)

// Password lengths: bcrypt reads no more than 72 bytes, so a longer password would be cut silently.
const (
	minPassword = 8
	maxPassword = 72
)

// PasswordProblem says what is wrong with a new password, or "" if it will do.
func PasswordProblem(p string) string {
	if len(p) < minPassword || len(p) > maxPassword {
		return fmt.Sprintf("must be %d to %d bytes long", minPassword, maxPassword)
	}
	return ""
}

// createUser validates a new user and stores it. A missing role is viewer.
func createUser(ctx context.Context, q *sqlcgen.Queries, in UserChange) (sqlcgen.User, map[string]string, error) {
	problems := map[string]string{}
	if !userNamePattern.MatchString(in.Name) {
		problems["name"] = "must be 1 to 100 letters, digits or . _ @ + -"
	} else if _, err := q.UserGetByName(ctx, in.Name); err == nil {
		problems["name"] = "is taken by another user"
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return sqlcgen.User{}, nil, fmt.Errorf("look up user %q: %w", in.Name, err)
	}
	if in.Password == nil {
		problems["password"] = "is required"
	} else if p := PasswordProblem(*in.Password); p != "" {
		problems["password"] = p
	}
	r := RoleViewer
	if in.Role != nil {
		var ok bool
		if r, ok = ParseRole(*in.Role); !ok {
			problems["role"] = "must be viewer, editor or admin"
		}
	}
	if in.Disabled != nil && *in.Disabled {
		problems["disabled"] = "must be false for a new user"
	}
	if len(problems) > 0 {
		return sqlcgen.User{}, problems, nil
	}
	hash, err := HashPassword(*in.Password)
	if err != nil {
		return sqlcgen.User{}, nil, fmt.Errorf("hash password: %w", err)
	}
	user, err := q.UserInsert(ctx, sqlcgen.UserInsertParams{Username: in.Name, PasswordHash: hash, Role: string(r)})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // taken between the look-up and the insert
		return user, map[string]string{"name": "is taken by another user"}, nil
	}
	if err != nil {
		return user, nil, fmt.Errorf("store user %q: %w", in.Name, err)
	}
	return user, nil, nil
}

// changeUser applies a change to target by actor. The bootstrap admin and the actor themselves stay
// enabled admins, so that nobody locks the door behind them; only the bootstrap admin itself
// gives it a new password (ErrBootstrapPassword). Disabling a user or giving them a new
// password ends their sessions (but the actor's own current one).
func (s *Store) changeUser(ctx context.Context, q *sqlcgen.Queries, actor Caller, target sqlcgen.User, in UserChange) (sqlcgen.User, map[string]string, error) {
	if in.Password != nil && s.adminUser != "" && target.Username == s.adminUser && actor.UserID != target.ID {
		return target, nil, ErrBootstrapPassword
	}
	problems := map[string]string{}
	r := Role(target.Role)
	if in.Role != nil {
		var ok bool
		if r, ok = ParseRole(*in.Role); !ok {
			problems["role"] = "must be viewer, editor or admin"
		}
	}
	disabled := target.DisabledAt != nil
	if in.Disabled != nil {
		disabled = *in.Disabled
	}
	if keeper := s.KeeperOf(actor, target); keeper != "" {
		if r != RoleAdmin {
			problems["role"] = "must stay admin for " + keeper
		}
		if disabled {
			problems["disabled"] = "must stay false for " + keeper
		}
	}
	if in.Password != nil {
		if p := PasswordProblem(*in.Password); p != "" {
			problems["password"] = p
		}
	}
	if len(problems) > 0 {
		return target, problems, nil
	}
	user, err := q.UserUpdate(ctx, sqlcgen.UserUpdateParams{ID: target.ID, Role: string(r), Disabled: disabled})
	if err != nil {
		return user, nil, fmt.Errorf("update user %d: %w", target.ID, err)
	}
	keep := int64(0)
	if actor.UserID == target.ID {
		keep = actor.SessionID
	}
	if in.Password != nil {
		err = setPassword(ctx, q, target.ID, *in.Password, keep)
	} else if disabled {
		_, err = q.SessionDeleteForUser(ctx, sqlcgen.SessionDeleteForUserParams{UserID: target.ID, KeepID: keep})
	}
	return user, nil, err
}

// KeeperOf says why target must stay an enabled admin ("" if it need not): it is the bootstrap
// admin, or the caller themselves.
func (s *Store) KeeperOf(actor Caller, target sqlcgen.User) string {
	switch {
	case target.Username == s.adminUser:
		return "the bootstrap admin (CRONFLOW_ADMIN_USER)"
	case target.ID == actor.UserID:
		return "your own user"
	}
	return ""
}

// deleteUser deletes a user, their sessions and API tokens with them; the bootstrap admin and the
// actor themselves are refused with a problem.
func (s *Store) deleteUser(ctx context.Context, q *sqlcgen.Queries, actor Caller, id int64) (string, error) {
	target, err := q.UserGet(ctx, id)
	if err != nil {
		return "", err
	}
	if keeper := s.KeeperOf(actor, target); keeper != "" {
		return "Cannot delete " + keeper + ".", nil
	}
	if _, err := q.UserDelete(ctx, id); err != nil {
		return "", fmt.Errorf("delete user %d: %w", id, err)
	}
	return "", nil
}
