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
