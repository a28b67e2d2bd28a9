package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestTransientDatabaseErrors(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]bool{
		&net.OpError{Op: "dial", Err: errors.New("connection refused")}: true,
		&pgconn.PgError{Code: "57P01"}:                                  true, // admin shutdown
		&pgconn.PgError{Code: "08006"}:                                  true, // connection failure
		&pgconn.PgError{Code: "53300"}:                                  true, // too many connections
		&pgconn.PgError{Code: "40001"}:                                  true, // serialization failure
		&pgconn.PgError{Code: "25006"}:                                  true, // read-only: a demoted primary
		&pgconn.PgError{Code: "23505"}:                                  false,
		&pgconn.PgError{Code: "42601"}:                                  false,
		pgx.ErrNoRows:                                                   false,
		fmt.Errorf("claim: %w", pgx.ErrNoRows):                          false,
		context.Canceled:                                                false,
	} {
		if got := transient(err); got != want {
			t.Errorf("transient(%v) = %v, want %v", err, got, want)
		}
	}
}

func TestRetryDBWaitsOutTransientErrors(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	calls := 0
	v, err := retryDB(context.Background(), logger, "test", func(context.Context) (int, error) {
		calls++
		if calls < 3 {
			return 0, &pgconn.PgError{Code: "57P03"} // the server is starting
		}
		return 42, nil
	})
	if v != 42 || err != nil || calls != 3 {
		t.Fatalf("retryDB = %d, %v after %d calls", v, err, calls)
	}
	calls = 0
	_, err = retryDB(context.Background(), logger, "test", func(context.Context) (int, error) {
		calls++
		return 0, pgx.ErrNoRows
	})
	if !errors.Is(err, pgx.ErrNoRows) || calls != 1 {
		t.Fatalf("no rows was retried: %v after %d calls", err, calls)
	}
}
