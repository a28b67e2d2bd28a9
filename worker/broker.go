package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNotConnected is returned by a publish while the broker connection is down. The run stays
// unpublished in the database, and the reaper publishes it once the connection is back.
var ErrNotConnected = errors.New("not connected to RabbitMQ")

// Topology names the exchanges and queues. Every replica declares all of them at startup and after
// every reconnect; declaring is idempotent.
type Topology struct {
	// Exchange routes new and retried runs to WorkQueue.
	Exchange string
	// WorkQueue is a quorum queue: its delivery limit dead-letters a message that keeps coming back.
	WorkQueue string
	// DeadExchange and DeadQueue hold what was given up on: runs that failed permanently and
	// messages that could not be handled. Nothing expires there; an operator inspects them.
	DeadExchange string
	DeadQueue    string
	// RetryPrefix starts the name of the per-delay retry queues, such as "cronflow.retry.2000ms".
	RetryPrefix string
}

const workRoutingKey = "run"

// NewTopology names the topology after prefix ("cronflow" in production, unique in tests).
func NewTopology(prefix string) Topology {
	return Topology{
		Exchange:     prefix,
		WorkQueue:    prefix + ".runs",
		DeadExchange: prefix + ".dead",
		DeadQueue:    prefix + ".runs.dead",
		RetryPrefix:  prefix + ".retry.",
	}
}

// RetryQueue names the queue in which a run waits delay before it goes back to the work queue.
func (t Topology) RetryQueue(delay time.Duration) string {
	return t.RetryPrefix + strconv.FormatInt(delay.Milliseconds(), 10) + "ms"
}

// Declare declares the durable exchanges and queues and their bindings.
func (t Topology) Declare(ch *amqp.Channel) error {
	if err := ch.ExchangeDeclare(t.Exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", t.Exchange, err)
	}
	if err := ch.ExchangeDeclare(t.DeadExchange, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", t.DeadExchange, err)
	}
	if _, err := ch.QueueDeclare(t.DeadQueue, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare queue %s: %w", t.DeadQueue, err)
	}
	if err := ch.QueueBind(t.DeadQueue, "", t.DeadExchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", t.DeadQueue, err)
	}
	args := amqp.Table{
		amqp.QueueTypeArg:        amqp.QueueTypeQuorum,
		"x-dead-letter-exchange": t.DeadExchange,
		"x-delivery-limit":       int64(20),
	}
	if _, err := ch.QueueDeclare(t.WorkQueue, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w", t.WorkQueue, err)
	}
	if err := ch.QueueBind(t.WorkQueue, workRoutingKey, t.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", t.WorkQueue, err)
	}
	return nil
}

// DeclareRetryQueue declares the queue where runs wait delay before their next attempt. Messages
// expire after delay into the work exchange, so a queue only ever holds messages of one delay and
// none waits behind a longer one. An unused queue deletes itself well after its last message left.
func (t Topology) DeclareRetryQueue(ch *amqp.Channel, delay time.Duration) (string, error) {
	name := t.RetryQueue(delay)
	args := amqp.Table{
		"x-message-ttl":             delay.Milliseconds(),
		"x-dead-letter-exchange":    t.Exchange,
		"x-dead-letter-routing-key": workRoutingKey,
		"x-expires":                 (2*delay + 10*time.Minute).Milliseconds(),
	}
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		return "", fmt.Errorf("declare queue %s: %w", name, err)
	}
	return name, nil
}

// connection keeps one AMQP connection open, dialling again with backoff whenever it is lost.
// setup runs on every new connection; it declares what it needs and opens its channels.
type connection struct {
	url    string
	name   string
	logger *slog.Logger
	setup  func(ctx context.Context, conn *amqp.Connection) error
	// teardown, if set, runs when ctx is done, before the connection is closed: the consumer uses
	// it to stop taking deliveries and let in-flight runs finish and ack.
	teardown   func()
	reconnects atomic.Int64

	mu   sync.Mutex
	conn *amqp.Connection
}

// run keeps the connection up until ctx is done, then closes it.
func (c *connection) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
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
			c.logger.Warn("Broker connection failed", "connection", c.name, "error", err, "retry_in", backoff.String())
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
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
	}
}

// closeNow closes the current connection, if any, as a broker restart would. Tests use it.
func (c *connection) closeNow() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// connected reports whether the connection is up.
func (c *connection) connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil && !c.conn.IsClosed()
}

// Names lists the queues and exchanges of the topology, with the retry queues of the given delays.
func (t Topology) Names(delays ...time.Duration) (queues, exchanges []string) {
	queues = []string{t.WorkQueue, t.DeadQueue}
	for _, d := range delays {
		queues = append(queues, t.RetryQueue(d))
	}
	return queues, []string{t.Exchange, t.DeadExchange}
}
