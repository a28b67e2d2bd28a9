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

func TestAConnectionThatTimedOutIsTransient(t *testing.T) {
	t.Parallel()
	// A server that accepts and then says nothing, as a silent network does.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg, err := pgx.ParseConfig("postgres://postgres@" + l.Addr().String() + "/x?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = pgx.ConnectConfig(context.Background(), cfg)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("connect to a silent server: %v, want a deadline", err)
	}
	if !transient(fmt.Errorf("claim 1 runs: %w", err)) {
		t.Errorf("transient(%v) = false, want true: the database may answer again", err)
	}
}
