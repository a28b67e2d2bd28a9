package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sethvargo/go-retry"
)

// ErrNotConnected is returned by a publish while the broker connection is down. The run stays
// unpublished in the database, and the reaper publishes it once the connection is back.
var ErrNotConnected = errors.New("not connected to RabbitMQ")

// dialTimeout bounds one attempt to reach a node, so that a node whose host is gone (no refusal
// comes back) costs seconds, not the driver's default of half a minute.
const dialTimeout = 5 * time.Second

// Connection keeps one AMQP connection open to one of the nodes of a cluster. It starts on a node
// chosen at random, so that the connections of many replicas spread over the cluster; when the
// connection is lost it moves on to the next node at once, and cycles through the list with
// backoff and jitter while none answers.
type Connection struct {
	urls   []string
	next   int // the node to dial next, an index into urls
	name   string
	logger *slog.Logger
	// setup runs on every new connection; it declares what it needs and opens its channels.
	setup func(ctx context.Context, conn *amqp.Connection) error
	// teardown, if set, runs when ctx is done, before the connection is closed: the consumer uses
	// it to stop taking deliveries and let in-flight runs finish and ack.
	teardown   func()
	reconnects atomic.Int64

	mu   sync.Mutex
	conn *amqp.Connection
	node string // host:port of the node connected to
}

// NewConnection returns a connection to one of the nodes at urls, named name in the broker's list
// of connections. setup runs on every new connection, on whichever node, and declares the topology
// there; teardown, if not nil, runs at shutdown before the connection closes.
func NewConnection(urls []string, name string, logger *slog.Logger, setup func(ctx context.Context, conn *amqp.Connection) error, teardown func()) *Connection {
	return &Connection{urls: urls, next: rand.IntN(len(urls)), name: name, logger: logger, setup: setup, teardown: teardown}
}

// Run keeps the connection up until ctx is done, then closes it.
func (c *Connection) Run(ctx context.Context) {
	for {
		conn, node, err := c.dial(ctx)
		if err != nil {
			return // ctx is done
		}
		c.mu.Lock()
		c.conn, c.node = conn, node
		c.mu.Unlock()
		c.logger.Info("Broker connected", "connection", c.name, "node", node)

		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		select {
		case <-ctx.Done():
			if c.teardown != nil {
				c.teardown()
			}
			_ = conn.Close()
		case amqpErr := <-closed:
			c.reconnects.Add(1)
			c.logger.Warn("Broker connection lost", "connection", c.name, "node", node, "error", amqpErr)
		}
		c.mu.Lock()
		c.conn, c.node = nil, ""
		c.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// dial connects to the next node that answers and sets the connection up there. Each round tries
// every node once, starting after the one last used (it has just been lost); between rounds it
// waits, 100 ms doubling to 5 s, give or take a fifth so that replicas do not dial in step.
func (c *Connection) dial(ctx context.Context) (*amqp.Connection, string, error) {
	backoff := retry.WithJitterPercent(20, retry.WithCappedDuration(5*time.Second, retry.NewExponential(100*time.Millisecond)))
	var node string
	conn, err := retry.DoValue(ctx, backoff, func(ctx context.Context) (*amqp.Connection, error) {
		var errs []error
		for range c.urls {
			url := c.urls[c.next]
			c.next = (c.next + 1) % len(c.urls)
			conn, err := c.dialNode(ctx, url)
			if err == nil {
				node = hostOf(url)
				return conn, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", hostOf(url), err))
		}
		err := errors.Join(errs...)
		c.logger.Warn("Broker connection failed on every node, retrying", "connection", c.name, "error", err)
		return nil, retry.RetryableError(err)
	})
	return conn, node, err
}

// dialNode connects to one node and sets the connection up.
func (c *Connection) dialNode(ctx context.Context, url string) (*amqp.Connection, error) {
	conn, err := amqp.DialConfig(url, amqp.Config{
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": c.name},
		Dial:       amqp.DefaultDial(dialTimeout),
	})
	if err != nil {
		return nil, err
	}
	if err := c.setup(ctx, conn); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("set up: %w", err)
	}
	return conn, nil
}

// hostOf is a node URL's host:port, which logs may show (the URL may hold a password).
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return "?"
}

// CloseNow closes the current connection, if any, as a broker restart would. Tests use it.
func (c *Connection) CloseNow() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// Connected reports whether the connection is up.
func (c *Connection) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil && !c.conn.IsClosed()
}

// Node is the host:port of the node the connection is on, or "" while it is down.
func (c *Connection) Node() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node
}

// Reconnects counts the connections lost since start.
func (c *Connection) Reconnects() int64 { return c.reconnects.Load() }
