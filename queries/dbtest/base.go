package dbtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// validName is a database name the tests may create: no quoting needed, within PostgreSQL's 63.
var validName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

var (
	baseOnce sync.Once
	baseErr  error
)

// ensureBase creates the database BaseURL names if the server does not have it (a fresh machine,
// or CI's database of the run), through the server's postgres database. Test binaries run at the
// same time may race to create it; losing that race is no error.
func ensureBase(ctx context.Context) error {
	baseOnce.Do(func() { baseErr = createBase(ctx, BaseURL()) })
	return baseErr
}

// createBase creates the database that baseURL names, unless it exists.
func createBase(ctx context.Context, baseURL string) error {
	conn, err := pgx.Connect(ctx, baseURL)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		return fmt.Errorf("connect to the test database: %w", err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !validName.MatchString(name) {
		return fmt.Errorf("create test database %q: the name may hold only a-z, 0-9 and _", name)
	}
	u.Path = "/postgres"
	admin, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("connect to create test database %s: %w", name, err)
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	// 42P04: it exists now; 23505: another test binary created it at the same moment.
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create test database %s: %w", name, err)
	}
	return nil
}
