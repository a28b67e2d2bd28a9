package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/cronflow/cronflow/sqlcgen"
)

// checkPassword returns the user if password is theirs, nil if not. The check waits its turn
// behind the login guard; a refusal is a 429 that says when to try again. via ("form", "basic",
// "password change") goes into the log line of a failure.
func (a *auth) checkPassword(c echo.Context, via, username, password string) (*sqlcgen.User, error) {
	ctx := c.Request().Context()
	att, refusal := a.guard.begin(ctx, c.RealIP(), username)
	if refusal != nil {
		a.loginFailed(c, via, username, refusal.Reason)
		c.Response().Header().Set("Retry-After", strconv.Itoa(refusal.RetryAfter))
		return nil, echo.NewHTTPError(http.StatusTooManyRequests,
			fmt.Sprintf("Too many login attempts (%s). Try again in %d seconds.", refusal.Reason, refusal.RetryAfter))
	}
	user, problem, err := a.verify(ctx, username, password)
	att.release()
	if err != nil {
		att.refund()
		return nil, err
	}
	if problem != "" {
		a.loginFailed(c, via, username, problem)
		return nil, nil
	}
	att.succeeded()
	return &user, nil
}

// verify compares password with the user's hash. problem says why it does not let them in: an
// unknown name, a disabled user or a wrong password.
func (a *auth) verify(ctx context.Context, username, password string) (sqlcgen.User, string, error) {
	user, err := a.q.UserGetByName(ctx, username)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same time as for a real user, so that timing does not tell which names exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return user, "unknown user", nil
	}
	if err != nil {
		return user, "", fmt.Errorf("look up user %q: %w", username, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(user.PasswordHash), []byte(password)) != nil {
		return user, "wrong password", nil
	}
	if user.DisabledAt != nil {
		return user, "user disabled", nil
	}
	return user, "", nil
}

// loginFailed logs a failed login in one stable shape, for people and for tools such as fail2ban:
// the message "Login failed" with client_ip, username, via and reason.
func (a *auth) loginFailed(c echo.Context, via, username, reason string) {
	a.logger.Warn("Login failed", "client_ip", c.RealIP(), "username", clip(username, 100), "via", via,
		"reason", reason, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// EnsureAdmin makes the bootstrap admin from the configuration: it creates the user, or makes it an
// enabled admin with the configured password, so that the environment stays the way to recover
// access. A changed password ends every session of that user. The audit log records what changed
// as done by the environment.
func EnsureAdmin(ctx context.Context, db TxStarter, username, password string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin storing admin %q: %w", username, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := sqlcgen.New(tx)
	entry, err := bootstrapAdmin(ctx, q, username, password)
	if err != nil {
		return err
	}
	if entry != nil {
		if err := q.AuditInsert(ctx, entry.params("environment")); err != nil {
			return fmt.Errorf("record admin %q: %w", username, err)
		}
	}
	return tx.Commit(ctx)
}

// bootstrapAdmin is EnsureAdmin's work, in its transaction; it answers the audit entry of what it
// changed, nil if nothing.
func bootstrapAdmin(ctx context.Context, q *sqlcgen.Queries, username, password string) (*auditEntry, error) {
	user, err := q.UserGetByName(ctx, username)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("look up admin %q: %w", username, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		hash, err := hashPassword(password)
		if err != nil {
			return nil, fmt.Errorf("hash admin password: %w", err)
		}
		created, err := q.UserInsert(ctx, sqlcgen.UserInsertParams{Username: username, PasswordHash: hash, Role: string(roleAdmin)})
		if err != nil {
			return nil, fmt.Errorf("store admin %q: %w", username, err)
		}
		e := userEntry("user.create", nil, &created, true)
		return &e, nil
	}
	after := user
	if user.Role != string(roleAdmin) || user.DisabledAt != nil {
		if after, err = q.UserUpdate(ctx, sqlcgen.UserUpdateParams{ID: user.ID, Role: string(roleAdmin), Disabled: false}); err != nil {
			return nil, fmt.Errorf("make %q an admin again: %w", username, err)
		}
	}
	newPassword := bcrypt.CompareHashAndPassword([]byte(user.PasswordHash), []byte(password)) != nil
	if newPassword {
		if err := setPassword(ctx, q, user.ID, password, 0); err != nil {
			return nil, err
		}
	}
	entries := ifChanged(userEntry("user.update", &user, &after, newPassword))
	if len(entries) == 0 {
		return nil, nil
	}
	return &entries[0], nil
}

// passwordCost is bcrypt's cost for new password hashes. The handler tests lower it, to spend their
// time on what they check rather than on hashing; the stand-in hash for unknown users keeps the
// default, so that a flood of logins still costs what it costs in production.
var passwordCost = bcrypt.DefaultCost

// hashPassword is what is stored of a password.
func hashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	return string(hash), err
}

// setPassword gives a user a new password and ends their sessions but keepSession (0 keeps none):
// whoever knew the old password is out.
func setPassword(ctx context.Context, q *sqlcgen.Queries, userID int64, password string, keepSession int64) error {
	hash, err := hashPassword(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := q.UserSetPassword(ctx, sqlcgen.UserSetPasswordParams{ID: userID, PasswordHash: hash}); err != nil {
		return fmt.Errorf("store password of user %d: %w", userID, err)
	}
	if _, err := q.SessionDeleteForUser(ctx, sqlcgen.SessionDeleteForUserParams{UserID: userID, KeepID: keepSession}); err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return nil
}
