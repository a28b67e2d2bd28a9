package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/broker"
)

// HandlerFunc answers one delivery: it must ack or nack it before it returns. Runner.Handle is one.
type HandlerFunc func(ctx context.Context, d amqp.Delivery)

// Consumer takes runs from the work queue over a connection of its own and hands each delivery to
// its handler in a goroutine of its own, so that a delivery waiting for a batch or for its due
// instant keeps no other from being taken. The prefetch bounds how many deliveries are in hand at
// once: the broker sends no more until some are answered. What executes at once is the handler's
// to bound (Runner.Slots).
type Consumer struct {
	top     broker.Topology
	queue   string
	logger  *slog.Logger
	conn    *broker.Connection
	workers int
	handle  HandlerFunc
	grace   time.Duration
	// Prefetch, if set before Run, is how many unacknowledged deliveries the broker sends ahead,
	// and so how many are handled at once; without it, workers.
	Prefetch int

	// workCtx is what runs execute under. It outlives the consumer's ctx by the shutdown grace, so
	// that in-flight runs can finish and be recorded.
	workCtx    context.Context
	cancelWork context.CancelFunc

	mu      sync.Mutex
	ch      *amqp.Channel
	tag     string
	running sync.WaitGroup

	inFlight atomic.Int64
}

// NewConsumer returns a consumer of the work queue of the cluster whose nodes are at urls that
// handles up to workers deliveries at once, unless Prefetch says otherwise. On shutdown, in-flight
// runs get grace to finish before their context is cancelled.
func NewConsumer(urls []string, top broker.Topology, workers int, grace time.Duration, handle HandlerFunc, logger *slog.Logger) *Consumer {
	return newConsumer(urls, "cronflow-consumer", top, top.WorkQueue, workers, grace, handle, logger)
}

// NewNoticeConsumer returns a consumer of the notice queue, on a connection of its own; a
// Notifier's Handle answers its deliveries.
func NewNoticeConsumer(urls []string, top broker.Topology, workers int, grace time.Duration, handle HandlerFunc, logger *slog.Logger) *Consumer {
	return newConsumer(urls, "cronflow-notices", top, top.NoticeQueue, workers, grace, handle, logger)
}

func newConsumer(urls []string, name string, top broker.Topology, queue string, workers int, grace time.Duration, handle HandlerFunc, logger *slog.Logger) *Consumer {
	c := &Consumer{top: top, queue: queue, logger: logger, workers: workers, handle: handle, grace: grace}
	c.conn = broker.NewConnection(urls, name, logger, c.setup, c.drain)
	return c
}

// Run consumes until ctx is done, reconnecting whenever the connection is lost. When ctx is done
// it stops taking deliveries, lets in-flight runs finish (at most the grace), and returns.
func (c *Consumer) Run(ctx context.Context) {
	c.workCtx, c.cancelWork = context.WithCancel(context.WithoutCancel(ctx))
	defer c.cancelWork()
	c.conn.Run(ctx)
	// Also when ctx ended while the connection was down: runs from the lost channel may still be
	// executing, and get the same grace.
	c.waitInFlight()
}

// Connected reports whether the consumer is connected to the broker.
func (c *Consumer) Connected() bool { return c.conn.Connected() }

// Reconnects counts the connections lost since start.
func (c *Consumer) Reconnects() int64 { return c.conn.Reconnects() }

// InFlight counts the deliveries being handled now: claimed, waiting for their due instant or an
// execution slot, executing, or being recorded.
func (c *Consumer) InFlight() int64 { return c.inFlight.Load() }

// closeConnection drops the broker connection, as a broker restart would. Tests use it.
func (c *Consumer) closeConnection() { c.conn.CloseNow() }

func (c *Consumer) setup(ctx context.Context, conn *amqp.Connection) error {
	ch, err := c.top.OpenChannel(conn)
	if err != nil {
		return err
	}
	prefetch := c.Prefetch
	if prefetch == 0 {
		prefetch = c.workers
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		return fmt.Errorf("set prefetch: %w", err)
	}
	tag := fmt.Sprintf("cronflow-%d", time.Now().UnixNano())
	deliveries, err := ch.Consume(c.queue, tag, false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.queue, err)
	}
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		if err := <-chClosed; err != nil {
			c.logger.Warn("Consumer channel closed", "error", err)
			_ = conn.Close()
		}
	}()
	c.mu.Lock()
	c.ch, c.tag = ch, tag
	c.mu.Unlock()
	c.running.Add(1)
	go func() {
		defer c.running.Done()
		for d := range deliveries {
			c.running.Add(1)
			c.inFlight.Add(1)
			go func() {
				defer c.running.Done()
				c.handle(c.workCtx, d)
				c.inFlight.Add(-1)
			}()
		}
	}()
	return nil
}

// drain stops new deliveries and waits for in-flight runs before the connection closes, so that
// they can still be acked.
func (c *Consumer) drain() {
	c.mu.Lock()
	ch, tag := c.ch, c.tag
	c.mu.Unlock()
	if ch != nil {
		if err := ch.Cancel(tag, false); err != nil {
			c.logger.Warn("Cancel consumer", "error", err)
		}
	}
	c.waitInFlight()
}

// abandonAfter is how long a stopping consumer waits, once the grace is over and its runs are
// interrupted, for their outcomes to be recorded. A database that says nothing would otherwise hold
// the process for the whole recordTimeout: past this, the deliveries still waiting go back to the
// broker unacked when the connection closes, and their runs are taken again once their leases end.
const abandonAfter = 20 * time.Second

// waitInFlight waits for in-flight runs; after the grace it cancels them, so that they are
// recorded as interrupted instead of left running, and after abandonAfter more it stops waiting.
func (c *Consumer) waitInFlight() {
	done := make(chan struct{})
	go func() { c.running.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(c.grace):
		c.logger.Warn("Shutdown grace over, interrupting in-flight runs", "in_flight", c.inFlight.Load())
		c.cancelWork()
	}
	select {
	case <-done:
	case <-time.After(abandonAfter):
		c.logger.Warn("Stopping with runs whose outcome the database has not taken; the broker gives them back",
			"in_flight", c.inFlight.Load())
	}
}
