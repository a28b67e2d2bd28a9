package queries_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/cronflow/cronflow/queries"
	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/workertest"
)

// openFails opens a pool on dbURL and returns the error, failing the test unless it came within
// 5 s (OpenPool waits 30 s for what may pass) and says why.
func openFails(t *testing.T, dbURL, reason string) error {
	t.Helper()
	began := time.Now()
	pool, err := queries.OpenPool(context.Background(), dbURL, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		pool.Close()
		t.Fatalf("OpenPool(%s) succeeded; want %q", dbURL, reason)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("OpenPool(%s) = %v; want %q", dbURL, err, reason)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("OpenPool(%s) took %s; want it to stop at once", dbURL, took)
	}
	return err
}

// withURL is the test server's URL with the database or the query changed.
func withURL(t *testing.T, database, query string) string {
	t.Helper()
	u, err := url.Parse(dbtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	if database != "" {
		u.Path = "/" + database
	}
	if query != "" {
		u.RawQuery = query
	}
	return u.String()
}

func TestStartFailsAtOnceOnWhatCannotPass(t *testing.T) {
	t.Parallel()
	t.Run("MissingDatabase", func(t *testing.T) {
		t.Parallel()
		err := openFails(t, withURL(t, "cronflow_no_such_database", ""), "the database does not exist")
		if !strings.Contains(err.Error(), "3D000") {
			t.Errorf("error %v does not give the SQLSTATE", err)
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		// The machine's PostgreSQL trusts every loopback client, so a server on loopback that
		// wants a password, and refuses this one as PostgreSQL does, stands in for it.
		t.Parallel()
		addr := fakePostgres(t, func(b *pgproto3.Backend) {
			b.Send(&pgproto3.AuthenticationCleartextPassword{})
			_ = b.Flush()
			_ = b.SetAuthType(pgproto3.AuthTypeCleartextPassword)
			_, _ = b.Receive()
			b.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01",
				Message: `password authentication failed for user "cronflow"`})
			_ = b.Flush()
		})
		err := openFails(t, "postgres://cronflow:wrong@"+addr+"/cronflow?sslmode=disable", "refused the user or password")
		if !strings.Contains(err.Error(), "28P01") {
			t.Errorf("error %v does not give the SQLSTATE", err)
		}
	})
	t.Run("TLSRefused", func(t *testing.T) {
		t.Parallel()
		addr := fakePostgres(t, nil) // answers the TLS request with no
		openFails(t, "postgres://cronflow@"+addr+"/cronflow?sslmode=require", "refused TLS")
	})
	t.Run("UntrustedCertificate", func(t *testing.T) {
		// The machine's PostgreSQL has TLS with a self-signed certificate, which verify-full
		// refuses to trust.
		t.Parallel()
		openFails(t, withURL(t, "", "sslmode=verify-full"), "not trusted")
	})
}

// PostgreSQL that refuses connections (not started yet) is waited for.
func TestStartWaitsForPostgreSQLThatIsNotUpYet(t *testing.T) {
	t.Parallel()
	dbURL, proxy := dbtest.ThroughProxy(t, dbtest.BaseURL())
	proxy.Stop()
	logs := &syncBuffer{}
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		pool, err := queries.OpenPool(context.Background(), dbURL, 2, slog.New(slog.NewTextHandler(logs, nil)))
		if err == nil {
			pool.Close()
		}
		done <- result{err}
	}()
	workertest.WaitFor(t, 10*time.Second, "OpenPool to say it waits", func() bool {
		return strings.Contains(logs.String(), "Waiting for PostgreSQL")
	})
	proxy.Start()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("OpenPool = %v; want the pool once PostgreSQL answers", r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("OpenPool did not return after PostgreSQL came up")
	}
}

// fakePostgres listens on loopback and speaks just enough of PostgreSQL's protocol: it refuses
// TLS, reads the startup message, then lets answer (if not nil) answer it.
func fakePostgres(t *testing.T, answer func(b *pgproto3.Backend)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				b := pgproto3.NewBackend(conn, conn)
				for {
					msg, err := b.ReceiveStartupMessage()
					if err != nil {
						return
					}
					if _, ok := msg.(*pgproto3.SSLRequest); ok {
						_, _ = conn.Write([]byte("N"))
						continue
					}
					if answer != nil {
						answer(b)
					}
					return
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// syncBuffer is a log sink written and read at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
