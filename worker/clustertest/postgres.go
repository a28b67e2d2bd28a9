package clustertest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL primary (127.0.0.1:5440) with a streaming standby (127.0.0.1:5441),
// created afresh for one test by .ci/pg-pair and dropped when it ends.
type Postgres struct {
	t testing.TB
	// URL names both hosts, primary first, with target_session_attrs=read-write, as an operator
	// with a standby would configure DATABASE_URL.
	URL string
	// PrimaryURL and StandbyURL reach one server each.
	PrimaryURL, StandbyURL string
}

// NewPostgres waits until the test has the pair to itself, creates it with an empty database
// "cronflow" (which replicates to the standby), and drops the pair at cleanup.
func NewPostgres(t testing.TB) *Postgres {
	t.Helper()
	take(t, "pg-pair")
	script(t, "pg-pair", "start")
	t.Cleanup(func() { script(t, "pg-pair", "stop") })
	p := &Postgres{
		t:          t,
		URL:        "postgres://postgres@127.0.0.1:5440,127.0.0.1:5441/cronflow?sslmode=disable&target_session_attrs=read-write",
		PrimaryURL: "postgres://postgres@127.0.0.1:5440/cronflow?sslmode=disable",
		StandbyURL: "postgres://postgres@127.0.0.1:5441/cronflow?sslmode=disable",
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5440/postgres?sslmode=disable")
	if err != nil {
		t.Fatalf("connect to the primary: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE cronflow"); err != nil {
		t.Fatalf("create database on the primary: %v", err)
	}
	return p
}

// Switchover demotes the primary the way a failover does to a server that stays up: it turns
// read-only under its open sessions (writes fail with SQLSTATE 25006), and once the standby has
// replayed everything, the standby is promoted and takes writes.
func (p *Postgres) Switchover() {
	p.t.Helper()
	script(p.t, "pg-pair", "switchover")
}
