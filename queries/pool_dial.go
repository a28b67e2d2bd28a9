package queries

import (
	"net"
	"time"
)

// The pool's connections find out by themselves that PostgreSQL stopped answering, even when
// nothing closes them (a partition, a load balancer or NAT that dropped their state): an idle
// connection is probed after keepAliveIdle and given up after keepAliveCount unanswered probes
// keepAliveInterval apart (about 11 s), and, where the system supports it, one whose sent data
// stays unacknowledged for userTimeout is closed (dial_linux.go). The server does the same on its
// side (the tcp_keepalives_* parameters in openPool), which frees the scheduler lock of a leader
// that is gone. Waits that the network cannot end this way (a silent peer whose TCP still answers)
// are bounded by the callers' contexts.
const (
	keepAliveIdle     = 5 * time.Second
	keepAliveInterval = 2 * time.Second
	keepAliveCount    = 3
	userTimeout       = 15 * time.Second
	// connectTimeout bounds a new connection's start-up, unless DATABASE_URL sets connect_timeout.
	connectTimeout = 10 * time.Second
)

// dialer is the dialer of the pool's connections, with the keepalives and user timeout above.
func dialer() *net.Dialer {
	return &net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount},
		Control:         setUserTimeout(userTimeout),
	}
}
