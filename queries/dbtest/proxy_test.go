package dbtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestProxyCutsTheDatabaseAwayAndGivesItBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, proxy := ThroughProxy(t, BaseURL())
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect through the proxy: %v", err)
	}
	defer conn.Close(ctx)
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("ping through the proxy: %v", err)
	}

	proxy.Stop()
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("a connection through a stopped proxy still works")
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if c, err := pgx.Connect(cctx, url); err == nil {
		c.Close(ctx)
		t.Fatal("a stopped proxy took a new connection")
	}

	proxy.Start()
	again, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect after the proxy started again: %v", err)
	}
	defer again.Close(ctx)
	if err := again.Ping(ctx); err != nil {
		t.Fatalf("ping after the proxy started again: %v", err)
	}
}
