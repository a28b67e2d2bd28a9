package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RunMessage is the body of every message: the identity of a run. Everything else about the run
// is read from the database, which is the truth.
type RunMessage struct {
	RunID int64 `json:"run_id"`
	JobID int64 `json:"job_id"`
}

// confirmTimeout bounds how long a publish waits for the broker's confirm.
const confirmTimeout = 15 * time.Second

// Publisher publishes runs, persistent, mandatory and confirmed, over a connection of its own.
type Publisher struct {
	top    Topology
	logger *slog.Logger
	conn   *connection
	// ReturnedFunc is called with the run of every message the broker could not route.
	ReturnedFunc func(runID int64)

	mu sync.Mutex
	ch *amqp.Channel

	Confirmed atomic.Int64
	Returned  atomic.Int64
	Failed    atomic.Int64
}

// NewPublisher returns a publisher for the broker at url. Call Run to connect.
func NewPublisher(url string, top Topology, logger *slog.Logger) *Publisher {
	p := &Publisher{top: top, logger: logger}
	p.conn = &connection{url: url, name: "cronflow-publisher", logger: logger, setup: p.setup}
	return p
}

// Run keeps the publisher connected until ctx is done.
func (p *Publisher) Run(ctx context.Context) { p.conn.run(ctx) }

// Connected reports whether the publisher can publish now.
func (p *Publisher) Connected() bool { return p.conn.connected() }

// Reconnects counts the connections lost since start.
func (p *Publisher) Reconnects() int64 { return p.conn.reconnects.Load() }

func (p *Publisher) setup(ctx context.Context, conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := p.top.Declare(ch); err != nil {
		return err
	}
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("enable confirms: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, 64))
	go p.handleReturns(returns)
	// A channel-level error (a declare that did not match, say) closes only the channel; take the
	// whole connection down with it so that run sets everything up again.
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		if err := <-chClosed; err != nil {
			p.logger.Warn("Publisher channel closed", "error", err)
			_ = conn.Close()
		}
	}()
	p.mu.Lock()
	p.ch = ch
	p.mu.Unlock()
	return nil
}

func (p *Publisher) handleReturns(returns <-chan amqp.Return) {
	for r := range returns {
		p.Returned.Add(1)
		runID, _ := strconv.ParseInt(r.MessageId, 10, 64)
		p.logger.Error("Broker returned a message", "run_id", runID, "exchange", r.Exchange,
			"routing_key", r.RoutingKey, "reply", r.ReplyText)
		if p.ReturnedFunc != nil && runID > 0 {
			p.ReturnedFunc(runID)
		}
	}
}

func (p *Publisher) channel() (*amqp.Channel, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil || p.ch.IsClosed() {
		return nil, ErrNotConnected
	}
	return p.ch, nil
}

// PublishRuns publishes runs to the work queue and waits for the broker to confirm them. It
// returns the ids of the runs that were confirmed, which may be fewer than asked for, and the
// first error met.
func (p *Publisher) PublishRuns(ctx context.Context, msgs []RunMessage) ([]int64, error) {
	return p.publish(ctx, p.top.Exchange, workRoutingKey, msgs)
}

// PublishRetry publishes a run to the retry queue of its delay, from which it reaches the work
// queue delay later. A retry waits in the broker, so it survives restarts and blocks no consumer.
func (p *Publisher) PublishRetry(ctx context.Context, msg RunMessage, delay time.Duration) error {
	ch, err := p.channel()
	if err != nil {
		return err
	}
	queue, err := p.top.DeclareRetryQueue(ch, delay)
	if err != nil {
		return err
	}
	_, err = p.publish(ctx, "", queue, []RunMessage{msg})
	return err
}

func (p *Publisher) publish(ctx context.Context, exchange, key string, msgs []RunMessage) ([]int64, error) {
	ch, err := p.channel()
	if err != nil {
		p.Failed.Add(int64(len(msgs)))
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, confirmTimeout)
	defer cancel()

	confirms := make([]*amqp.DeferredConfirmation, 0, len(msgs))
	var firstErr error
	for _, m := range msgs {
		body, _ := json.Marshal(m)
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, amqp.Publishing{
			ContentType:  "application/json",
			DeliveryMode: amqp.Persistent,
			MessageId:    strconv.FormatInt(m.RunID, 10),
			Timestamp:    time.Now(),
			Body:         body,
		})
		if err != nil {
			firstErr = fmt.Errorf("publish run %d: %w", m.RunID, err)
			break
		}
		confirms = append(confirms, dc)
	}
	published := make([]int64, 0, len(confirms))
	for i, dc := range confirms {
		acked, err := dc.WaitContext(ctx)
		switch {
		case err != nil:
			firstErr = cmpErr(firstErr, fmt.Errorf("wait for confirm of run %d: %w", msgs[i].RunID, err))
		case !acked:
			firstErr = cmpErr(firstErr, fmt.Errorf("broker refused run %d", msgs[i].RunID))
		default:
			published = append(published, msgs[i].RunID)
		}
	}
	p.Confirmed.Add(int64(len(published)))
	p.Failed.Add(int64(len(msgs) - len(published)))
	return published, firstErr
}

func cmpErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
