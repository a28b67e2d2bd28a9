package handlers

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// ServerLimits bound what clients can hold of the HTTP server: how long a request may take to
// arrive and its answer to leave, how long an idle keep-alive connection stays open, how large the
// headers may be, and how many connections may be open at once, in all and per client address.
// The dashboard has no long polls, so no timeout needs to be longer than a minute.
type ServerLimits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
	// MaxConns is how many connections are open at once; more wait to be accepted.
	MaxConns int
	// MaxConnsPerClient is how many connections one client address may have open; more are closed
	// at once, so that one client cannot take every connection. Zero means no such limit.
	MaxConnsPerClient int
	// SharedClients are not limited per address: the reverse proxies every client comes through.
	SharedClients []*net.IPNet
}

// Server returns an HTTP server for handler on addr with these limits.
func (l ServerLimits) Server(addr string, handler http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout, WriteTimeout: l.WriteTimeout,
		IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes,
	}
}

// Listener wraps ln with the connection limits.
func (l ServerLimits) Listener(ln net.Listener) net.Listener {
	if l.MaxConnsPerClient > 0 {
		ln = &perClientListener{Listener: ln, max: l.MaxConnsPerClient, shared: l.SharedClients, open: map[netip.Addr]int{}}
	}
	if l.MaxConns > 0 {
		ln = netutil.LimitListener(ln, l.MaxConns)
	}
	return ln
}

// perClientListener closes a connection at once when its client address has max open already.
type perClientListener struct {
	net.Listener
	max    int
	shared []*net.IPNet

	mu   sync.Mutex
	open map[netip.Addr]int
}

// Accept returns the next connection whose client is within its limit.
func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tcp, ok := c.RemoteAddr().(*net.TCPAddr)
		if !ok {
			return c, nil
		}
		addr := tcp.AddrPort().Addr().Unmap()
		if l.isShared(addr) {
			return c, nil
		}
		l.mu.Lock()
		full := l.open[addr] >= l.max
		if !full {
			l.open[addr]++
		}
		l.mu.Unlock()
		if full {
			_ = c.Close()
			continue
		}
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *perClientListener) isShared(addr netip.Addr) bool {
	for _, n := range l.shared {
		if n.Contains(addr.AsSlice()) {
			return true
		}
	}
	return false
}

func (l *perClientListener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

// countedConn gives its client's place back when it closes.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// Close closes the connection and, the first time, gives its place back.
func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
