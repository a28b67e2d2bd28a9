package queries_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cronflow/cronflow/queries"
	"github.com/cronflow/cronflow/queries/dbtest"
)

// The figures are those of pool_dial.go.
func TestPoolConnectionsProbeAndGiveUpOnASilentServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := queries.OpenPool(ctx, dbtest.BaseURL(), 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tcp, ok := conn.Conn().PgConn().Conn().(*net.TCPConn)
	if !ok {
		t.Fatalf("the pool's connection is a %T, want a TCP connection", conn.Conn().PgConn().Conn())
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]int{
		"SO_KEEPALIVE":     {unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		"TCP_KEEPIDLE":     {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 5},
		"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 2},
		"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3},
		"TCP_USER_TIMEOUT": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 15000},
	}
	for name, w := range want {
		var got int
		var gerr error
		if err := raw.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), w[0], w[1]) }); err != nil || gerr != nil {
			t.Fatalf("getsockopt %s: %v %v", name, err, gerr)
		}
		if got != w[2] {
			t.Errorf("%s = %d, want %d", name, got, w[2])
		}
	}
}

func TestANewConnectionToASilentServerGivesUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, proxy := dbtest.ThroughProxy(t, dbtest.BaseURL())
	pool, err := queries.OpenPool(ctx, url, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pool.Reset() // the next ping needs a new connection
	proxy.Silence()
	defer proxy.Resume()
	start := time.Now()
	// No deadline of its own: only the pool's connect timeout (10 s) ends the wait.
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("a ping through a silent proxy succeeded")
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a new connection to a silent server took %s to give up, want about 10 s", took)
	}
}
