package dbtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestProxySilenceHoldsEveryByteWithoutClosingAndResumeDeliversThem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, proxy := ThroughProxy(t, BaseURL())
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect through the proxy: %v", err)
	}
	defer conn.Close(ctx)

	proxy.Silence()
	// A query sent into the silence gets no answer and no error: it waits until it is answered.
	answered := make(chan error, 1)
	go func() {
		var n int
		answered <- conn.QueryRow(ctx, "SELECT 1").Scan(&n)
	}()
	select {
	case err := <-answered:
		t.Fatalf("a query through a silent proxy returned: %v", err)
	case <-time.After(time.Second):
	}
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if c, err := pgx.Connect(cctx, url); err == nil {
		c.Close(ctx)
		t.Fatal("a new connection through a silent proxy was answered")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a new connection through a silent proxy failed with %v, want it to wait for its deadline", err)
	}

	proxy.Resume()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("the held query failed after the silence: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held query was not answered after the silence")
	}
}

func TestProxyLatencyAddsToEveryRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, proxy := ThroughProxy(t, BaseURL())
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect through the proxy: %v", err)
	}
	defer conn.Close(ctx)
	proxy.SetLatency(50 * time.Millisecond)
	start := time.Now()
	for range 4 {
		if err := conn.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("4 round trips with 50 ms of latency took %s, want at least 200 ms", took)
	}
}
