package broker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/runmsg"
)

// confirmTimeout bounds how long a publish waits for the broker's confirm.
const confirmTimeout = 15 * time.Second

// Publisher publishes runs, persistent, mandatory and confirmed, over a connection of its own.
type Publisher struct {
	top    Topology
	logger *slog.Logger
	conn   *Connection

	mu      sync.Mutex
	ch      *amqp.Channel
	returns <-chan amqp.Return

	// The broker hands an unroutable message back before it confirms it. returnsMu makes taking a
	// return off the channel and noting it one step, so that a publish that has its confirms and
	// then collects the returns sees every return that came before them.
	returnsMu sync.Mutex
	returned  map[string]bool

	// blocked follows connection.blocked (blocked.go).
	blocked blockage

	// Confirmed, Returned and Failed count published messages by outcome, for /metrics.
	Confirmed atomic.Int64
	Returned  atomic.Int64
	Failed    atomic.Int64
}

// NewPublisher returns a publisher for the broker, any of the cluster nodes at urls. Call Run to
// connect.
func NewPublisher(urls []string, top Topology, logger *slog.Logger) *Publisher {
	p := &Publisher{top: top, logger: logger, returned: map[string]bool{}}
	p.conn = NewConnection(urls, "cronflow-publisher", logger, p.setup, nil)
	return p
}

// Run keeps the publisher connected until ctx is done.
func (p *Publisher) Run(ctx context.Context) { p.conn.Run(ctx) }

// Connected reports whether the publisher can publish now.
func (p *Publisher) Connected() bool { return p.conn.Connected() }

// Reconnects counts the connections lost since start.
func (p *Publisher) Reconnects() int64 { return p.conn.Reconnects() }

// CloseConnection drops the broker connection, as a broker restart would; the publisher dials
// again. Fault tests use it.
func (p *Publisher) CloseConnection() { p.conn.CloseNow() }

func (p *Publisher) setup(ctx context.Context, conn *amqp.Connection) error {
	ch, err := p.top.OpenChannel(conn)
	if err != nil {
		return err
	}
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("enable confirms: %w", err)
	}
	go p.blocked.watch(p, conn.RemoteAddr().String(), conn.NotifyBlocked(make(chan amqp.Blocking, 4)))
	returns := ch.NotifyReturn(make(chan amqp.Return, 1024))
	go p.watchReturns(returns)
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
	p.ch, p.returns = ch, returns
	p.mu.Unlock()
	// An earlier version's dead letters move to the quorum queue in the background: there may be many.
	go func() {
		n, err := p.top.MoveLegacy(conn)
		if err != nil && !conn.IsClosed() {
			p.logger.Warn("Moving an earlier version's dead letters stopped; the next connection goes on",
				"queue", p.top.LegacyDeadQueue, "moved", n, "error", err)
		} else if n > 0 {
			p.logger.Info("Moved an earlier version's dead letters", "queue", p.top.LegacyDeadQueue, "to", p.top.DeadQueue, "moved", n)
		}
	}()
	return nil
}

// watchReturns notes returns that no publish collects, until the channel closes, so that the
// channel's buffer never fills.
func (p *Publisher) watchReturns(returns <-chan amqp.Return) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if !p.collectReturns(returns) {
			return
		}
	}
}

// collectReturns notes every return waiting on the channel. It reports false once the channel is
// closed.
func (p *Publisher) collectReturns(returns <-chan amqp.Return) bool {
	p.returnsMu.Lock()
	defer p.returnsMu.Unlock()
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				return false
			}
			p.Returned.Add(1)
			p.returned[r.MessageId] = true
			p.logger.Error("Broker returned a message as unroutable", "message_id", r.MessageId, "exchange", r.Exchange,
				"routing_key", r.RoutingKey, "reply", r.ReplyText)
		default:
			return true
		}
	}
}

func (p *Publisher) channel() (*amqp.Channel, <-chan amqp.Return, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil || p.ch.IsClosed() {
		return nil, nil, ErrNotConnected
	}
	if blocked, _ := p.Blocked(); blocked {
		return nil, nil, ErrBlocked
	}
	return p.ch, p.returns, nil
}

// PublishRuns publishes runs to the work queue and waits for the broker to confirm them. It
// returns the ids of the runs that were confirmed, which may be fewer than asked for, and the
// first error met.
func (p *Publisher) PublishRuns(ctx context.Context, msgs []runmsg.Message) ([]int64, error) {
	return publish(ctx, p, p.top.Exchange, WorkRoutingKey, msgs)
}

// PublishRetry publishes a run to the retry queue of its delay (rounded up onto RetryDelays), from
// which it reaches the work queue that much later. A retry waits in the broker, so it survives
// restarts and blocks no consumer.
func (p *Publisher) PublishRetry(ctx context.Context, msg runmsg.Message, delay time.Duration) error {
	ch, _, err := p.channel()
	if err != nil {
		return err
	}
	queue, err := p.top.DeclareRetryQueue(ch, RetryDelayAtLeast(delay))
	if err != nil {
		return err
	}
	_, err = publish(ctx, p, "", queue, []runmsg.Message{msg})
	return err
}

// message is what the publisher sends: a run or a notice, each with an id for the broker.
type message interface {
	Encode() []byte
	// ID is the run's or notice's id; MessageID is that made unique among both; String names it
	// in errors ("run 7").
	ID() int64
	MessageID() string
	String() string
}

// publish sends msgs, persistent and mandatory, and returns the ids (of runs or notices) that the
// broker confirmed and did not return.
func publish[M message](ctx context.Context, p *Publisher, exchange, key string, msgs []M) ([]int64, error) {
	ch, returns, err := p.channel()
	if err != nil {
		p.Failed.Add(int64(len(msgs)))
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, confirmTimeout)
	defer cancel()

	confirms := make([]*amqp.DeferredConfirmation, 0, len(msgs))
	var firstErr error
	for _, m := range msgs {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, amqp.Publishing{
			ContentType:  "application/json",
			DeliveryMode: amqp.Persistent,
			MessageId:    m.MessageID(),
			Timestamp:    time.Now(),
			Body:         m.Encode(),
		})
		if err != nil {
			firstErr = fmt.Errorf("publish %s: %w", m, err)
			break
		}
		confirms = append(confirms, dc)
	}
	acks := make([]bool, len(confirms))
	errs := make([]error, len(confirms))
	for i, dc := range confirms {
		acks[i], errs[i] = dc.WaitContext(ctx)
	}
	p.collectReturns(returns)
	published := make([]int64, 0, len(confirms))
	returned := 0
	for i := range confirms {
		acked, err := acks[i], errs[i]
		switch {
		case err != nil:
			firstErr = cmpErr(firstErr, fmt.Errorf("wait for confirm of %s: %w", msgs[i], err))
		case !acked:
			firstErr = cmpErr(firstErr, fmt.Errorf("broker refused %s", msgs[i]))
		case p.wasReturned(msgs[i].MessageID()):
			returned++
			firstErr = cmpErr(firstErr, fmt.Errorf("broker could not route %s", msgs[i]))
		default:
			published = append(published, msgs[i].ID())
		}
	}
	p.Confirmed.Add(int64(len(published)))
	p.Failed.Add(int64(len(msgs) - len(published) - returned))
	return published, firstErr
}

// wasReturned reports, once, whether the broker handed the message back as unroutable.
func (p *Publisher) wasReturned(id string) bool {
	p.returnsMu.Lock()
	defer p.returnsMu.Unlock()
	was := p.returned[id]
	delete(p.returned, id)
	return was
}

func cmpErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
