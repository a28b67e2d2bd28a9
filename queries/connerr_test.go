package queries

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestWhatWaitingCannotFix(t *testing.T) {
	t.Parallel()
	notFound := &net.DNSError{Err: "no such host", Name: "db.cronflow.invalid", IsNotFound: true}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	for name, tc := range map[string]struct {
		err   error
		final bool
	}{
		"MissingDatabase":     {&pgconn.PgError{Code: "3D000"}, true},
		"WrongPassword":       {&pgconn.PgError{Code: "28P01"}, true},
		"NoPgHbaEntry":        {&pgconn.PgError{Code: "28000"}, true},
		"NoConnectPrivilege":  {&pgconn.PgError{Code: "42501"}, true},
		"UnknownHost":         {fmt.Errorf("hostname resolving error: %w", notFound), true},
		"UntrustedTLS":        {fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), true},
		"TLSRefused":          {fmt.Errorf("dial: %w", errors.New("server refused TLS connection")), true},
		"StartingUp":          {&pgconn.PgError{Code: "57P03"}, false},
		"TooManyConnections":  {&pgconn.PgError{Code: "53300"}, false},
		"ConnectionRefused":   {refused, false},
		"Timeout":             {context.DeadlineExceeded, false},
		"TemporaryDNSFailure": {&net.DNSError{Err: "server misbehaving", IsTemporary: true}, false},
		"EveryHostFinal":      {errors.Join(&pgconn.PgError{Code: "3D000"}, notFound), true},
		"OneHostMayComeUp":    {errors.Join(&pgconn.PgError{Code: "3D000"}, refused), false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := cannotPass(tc.err) != ""; got != tc.final {
				t.Fatalf("cannotPass(%v) = %q; want final %v", tc.err, cannotPass(tc.err), tc.final)
			}
		})
	}
}

// A host name that does not exist stops the start at once. The lookup is answered here, as a
// resolver that found no such name would, so that no name is looked up on the network.
func TestUnknownHostFailsAtOnce(t *testing.T) {
	t.Parallel()
	pcfg, err := pgxpool.ParseConfig("postgres://postgres@db.cronflow.invalid:5432/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	pcfg.ConnConfig.LookupFunc = func(ctx context.Context, host string) ([]string, error) {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	began := time.Now()
	_, err = openPool(context.Background(), pcfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "the host name does not exist") {
		t.Fatalf("openPool = %v; want the unknown host named", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("openPool took %s; an unknown host must not be retried", took)
	}
}
