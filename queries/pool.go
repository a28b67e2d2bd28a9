package queries

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sethvargo/go-retry"
)

// readOnly is SQLSTATE read_only_sql_transaction: a write reached a server that takes none.
const readOnly = "25006"

// URL is the URL of a PostgreSQL database on one host, without TLS (the PG_* variables).
func URL(host string, port int, user, password, database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: net.JoinHostPort(host, strconv.Itoa(port)),
		Path: "/" + database, RawQuery: "sslmode=disable"}
	if password == "" {
		u.User = url.User(user)
	}
	return u.String()
}

// CheckURL checks a postgres:// URL as pgx reads it. With several hosts it must say
// target_session_attrs=read-write (or primary): otherwise pgx takes whichever host answers first,
// a read-only standby included.
func CheckURL(s string) error {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return errors.New("must be a postgres:// URL")
	}
	pc, err := pgconn.ParseConfig(s)
	if err != nil {
		return fmt.Errorf("is not a URL PostgreSQL's driver can use: %w", err)
	}
	hosts := map[string]bool{net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))): true}
	for _, f := range pc.Fallbacks {
		hosts[net.JoinHostPort(f.Host, strconv.Itoa(int(f.Port)))] = true
	}
	_, query, _ := strings.Cut(s, "?")
	params, _ := url.ParseQuery(query)
	if attrs := params.Get("target_session_attrs"); len(hosts) > 1 && attrs != "read-write" && attrs != "primary" {
		return fmt.Errorf("names %d hosts but not target_session_attrs=read-write, so a read-only standby could be "+
			"chosen; add ?target_session_attrs=read-write", len(hosts))
	}
	return nil
}

// OpenPool connects to PostgreSQL at url (one host, or several with target_session_attrs), with
// at most maxConns connections, waiting up to 30 s for it to come up. An error that waiting cannot
// fix (see cannotPass) is returned at once, with its reason.
//
// A write refused as read-only means the primary was demoted under the open pool (a failover): the
// connection that met it is closed and the pool lets every other one go, so that new connections
// find the host that takes writes.
func OpenPool(ctx context.Context, url string, maxConns int32, logger *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = maxConns
	return openPool(ctx, pcfg, logger)
}

// openPool is OpenPool from a parsed configuration.
func openPool(ctx context.Context, pcfg *pgxpool.Config, logger *slog.Logger) (*pgxpool.Pool, error) {
	// If this host dies without closing its connections, PostgreSQL notices within about 10 s and
	// frees the scheduler lock for another replica, instead of after its default two hours.
	for k, v := range map[string]string{"tcp_keepalives_idle": "4", "tcp_keepalives_interval": "2",
		"tcp_keepalives_count": "3", "tcp_user_timeout": "10000"} {
		pcfg.ConnConfig.RuntimeParams[k] = v
	}
	pcfg.ConnConfig.DialFunc = dialer().DialContext // keepalives on this side too (pool_dial.go)
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		// A server that accepts the connection and then says nothing (a silent network) would
		// hold every new connection, and whoever waits for it, until PostgreSQL gives up on it.
		pcfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	var pool atomic.Pointer[pgxpool.Pool]
	var lastReset atomic.Int64
	onPgError := pcfg.ConnConfig.OnPgError
	pcfg.ConnConfig.OnPgError = func(c *pgconn.PgConn, pgErr *pgconn.PgError) bool {
		if pgErr.Code != readOnly {
			return onPgError(c, pgErr)
		}
		// Every connection meets it at once; one reset a second is enough.
		now := time.Now().UnixNano()
		if p := pool.Load(); p != nil && now-lastReset.Swap(now) > int64(time.Second) {
			logger.Warn("PostgreSQL refused a write as read-only: the primary was demoted; dropping every connection")
			go p.Reset() // outside the connection that met the error
		}
		return false
	}
	p, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pool.Store(p)
	backoff := retry.WithMaxDuration(30*time.Second, retry.NewConstant(time.Second))
	err = retry.Do(ctx, backoff, func(ctx context.Context) error {
		err := p.Ping(ctx)
		if err == nil {
			return nil
		}
		if reason := cannotPass(err); reason != "" {
			return fmt.Errorf("%s: %w", reason, err) // not retried
		}
		logger.Warn("Waiting for PostgreSQL", "error", err)
		return retry.RetryableError(err)
	})
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", pcfg.ConnConfig.Host, err)
	}
	return p, nil
}
