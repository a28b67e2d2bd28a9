// Package dbtest gives tests a real, migrated PostgreSQL database: either a transaction that is
// rolled back at cleanup (fast, for queries and handlers) or a fresh database that is dropped at
// cleanup (for the worker, end-to-end and browser tests, which need many connections).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries"
)

// BaseURL is the database the tests start from: TEST_DATABASE_URL, or the local "test" database.
// The tests create it if the server does not have it.
func BaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Prefix begins the name of every database NewDatabase creates: TEST_DATABASE_PREFIX, or
// cronflow_test_. CI gives each run a prefix of its own, so that it drops only its own databases.
func Prefix() string {
	if p := os.Getenv("TEST_DATABASE_PREFIX"); p != "" {
		return p
	}
	return "cronflow_test_"
}

var (
	sharedOnce sync.Once
	sharedPool *pgxpool.Pool
	sharedErr  error
)

// Tx returns a transaction in the shared test database, migrated once per test binary, that is
// rolled back when the test ends. Nothing a test writes through it is seen by any other test.
func Tx(t testing.TB) pgx.Tx {
	t.Helper()
	sharedOnce.Do(func() {
		ctx := context.Background()
		if sharedErr = ensureBase(ctx); sharedErr != nil {
			return
		}
		cfg, err := pgxpool.ParseConfig(BaseURL())
		if err != nil {
			sharedErr = err
			return
		}
		// Every parallel test holds a connection for its transaction; a test that needs a second
		// one must not wait for the others to finish.
		cfg.MaxConns = 32
		sharedPool, sharedErr = pgxpool.NewWithConfig(ctx, cfg)
		if sharedErr == nil {
			sharedErr = queries.Migrate(ctx, sharedPool, discard())
		}
	})
	if sharedErr != nil {
		t.Fatalf("open shared test database: %v", sharedErr)
	}
	tx, err := sharedPool.Begin(context.Background())
	if err != nil {
		t.Fatalf("begin test transaction: %v", err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

// NewDatabase creates a fresh, migrated database and returns its URL. The database is dropped when
// the test ends, after everything the test registered later has been cleaned up.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	if err := ensureBase(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		t.Fatalf("connect to test database server: %v", err)
	}
	defer admin.Close(ctx)

	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := Prefix() + hex.EncodeToString(buf)
	if !validName.MatchString(name) {
		t.Fatalf("database name %q: TEST_DATABASE_PREFIX may hold only a-z, 0-9 and _", name)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, BaseURL())
		if err != nil {
			t.Errorf("connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(BaseURL())
	if err != nil {
		t.Fatalf("parse %s: %v", BaseURL(), err)
	}
	u.Path = "/" + name
	dbURL := u.String()

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer pool.Close()
	if err := queries.Migrate(ctx, pool, discard()); err != nil {
		t.Fatalf("migrate %s: %v", name, err)
	}
	return dbURL
}

// NewPool returns a pool on a fresh database (see NewDatabase), closed when the test ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := NewDatabase(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
