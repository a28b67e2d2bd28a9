package broker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sethvargo/go-retry"
)

// ErrNotConnected is returned by a publish while the broker connection is down. The run stays
// unpublished in the database, and the reaper publishes it once the connection is back.
var ErrNotConnected = errors.New("not connected to RabbitMQ")

// Connection keeps one AMQP connection open, dialling again with backoff whenever it is lost.
type Connection struct {
	url    string
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
}

// NewConnection returns a connection to url, named name in the broker's list of connections. setup
// runs on every new connection; teardown, if not nil, runs at shutdown before the connection closes.
func NewConnection(url, name string, logger *slog.Logger, setup func(ctx context.Context, conn *amqp.Connection) error, teardown func()) *Connection {
	return &Connection{url: url, name: name, logger: logger, setup: setup, teardown: teardown}
}

// Run keeps the connection up until ctx is done, then closes it.
func (c *Connection) Run(ctx context.Context) {
	for {
		conn, err := c.dial(ctx)
		if err != nil {
			return // ctx is done
		}
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
		c.logger.Info("Broker connected", "connection", c.name)

		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		select {
		case <-ctx.Done():
			if c.teardown != nil {
				c.teardown()
			}
			_ = conn.Close()
		case amqpErr := <-closed:
			c.reconnects.Add(1)
			c.logger.Warn("Broker connection lost", "connection", c.name, "error", amqpErr)
		}
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// dial connects and sets the connection up, retrying with backoff until it works or ctx is done.
func (c *Connection) dial(ctx context.Context) (*amqp.Connection, error) {
	backoff := retry.WithCappedDuration(5*time.Second, retry.NewExponential(100*time.Millisecond))
	return retry.DoValue(ctx, backoff, func(ctx context.Context) (*amqp.Connection, error) {
		conn, err := amqp.DialConfig(c.url, amqp.Config{
			Heartbeat:  10 * time.Second,
			Properties: amqp.Table{"connection_name": c.name},
		})
		if err == nil {
			if err = c.setup(ctx, conn); err != nil {
				_ = conn.Close()
			}
		}
		if err != nil {
			c.logger.Warn("Broker connection failed, retrying", "connection", c.name, "error", err)
			return nil, retry.RetryableError(err)
		}
		return conn, nil
	})
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

// Reconnects counts the connections lost since start.
func (c *Connection) Reconnects() int64 { return c.reconnects.Load() }
