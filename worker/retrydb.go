package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/sethvargo/go-retry"
)

// retryDB runs fn until it succeeds, fails for good, or ctx ends. A database that is down for a
// while must not turn into messages bounced back to the broker, which would count against their
// delivery limit and dead-letter healthy runs; so the consumer waits for the database instead.
func retryDB[T any](ctx context.Context, logger *slog.Logger, what string, fn func(ctx context.Context) (T, error)) (T, error) {
	backoff := retry.WithCappedDuration(5*time.Second, retry.NewExponential(250*time.Millisecond))
	return retry.DoValue(ctx, backoff, func(ctx context.Context) (T, error) {
		v, err := fn(ctx)
		if err != nil && transient(err) && ctx.Err() == nil {
			logger.Warn("Database unavailable, retrying", "doing", what, "error", err)
			return v, retry.RetryableError(err)
		}
		return v, err
	})
}

// transient reports whether a database error may go away by itself: the connection failed or
// could not be made in time, the server is starting or stopping, out of resources, or read-only (a
// demoted primary: a failover is under way, and the pool finds the new primary). An error in the
// query itself, or "no rows", is not.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		code := pgErr.Code
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || strings.HasPrefix(code, "57P") ||
			code == "40001" || code == "40P01" || code == "25006"
	}
	// A connection that could not be made in its connect timeout (a database that accepts and
	// then says nothing) is an outage like a refused one, though its error is a deadline: the
	// caller's own context, checked by retryDB, says when to stop.
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) && !errors.Is(err, context.Canceled) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return !errors.Is(err, pgx.ErrNoRows)
}
