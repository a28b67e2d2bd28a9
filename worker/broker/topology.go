// Package broker talks to RabbitMQ: it names and declares the topology, keeps connections up
// (reconnecting with backoff), and publishes runs with publisher confirms. The run lifecycle in
// package worker uses it; nothing that renders pages does.
package broker

import (
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Topology names the exchanges and queues. Every replica declares all of them at startup and after
// every reconnect; declaring is idempotent.
type Topology struct {
	// Exchange routes new and retried runs to WorkQueue.
	Exchange string
	// WorkQueue is a quorum queue: its delivery limit dead-letters a message that keeps coming back.
	WorkQueue string
	// DeadExchange and DeadQueue hold what was given up on: runs that failed permanently and
	// messages that could not be handled. DeadQueue is a quorum queue bounded to DeadQueueLimit
	// messages, the oldest dropped; an operator inspects them (the runs stay in the database).
	DeadExchange string
	DeadQueue    string
	// RetryPrefix starts the name of the per-delay retry queues, such as "cronflow.runs.retry.2000ms".
	RetryPrefix string
	// NoticeQueue holds the alerts to deliver, apart from runs so that neither waits for the other;
	// NoticeRetryPrefix names its retry queues (see notices.go). Both are quorum queues too.
	NoticeQueue, NoticeRetryPrefix string
	// LegacyDeadQueue is the classic dead-letter queue of earlier versions, which MoveLegacy
	// empties into DeadQueue. Their classic retry queues need nothing: they expire into the work
	// queue and delete themselves.
	LegacyDeadQueue string
}

// Queue arguments. Every queue that holds runs is a quorum queue, replicated across the cluster,
// so that losing a minority of its nodes loses no message.
const (
	// WorkDeliveryLimit is how often a message may be delivered before it is dead-lettered.
	WorkDeliveryLimit = 20
	// DeadQueueLimit bounds the dead-letter queue, so that it cannot fill the broker's disk.
	DeadQueueLimit = 100_000
)

// WorkRoutingKey routes a message from the exchange to the work queue.
const WorkRoutingKey = "run"

// NewTopology names the topology after prefix ("cronflow" in production, unique in tests).
func NewTopology(prefix string) Topology {
	return Topology{
		Exchange:          prefix,
		WorkQueue:         prefix + ".runs",
		DeadExchange:      prefix + ".dead",
		DeadQueue:         prefix + ".runs.dlq",
		RetryPrefix:       prefix + ".runs.retry.",
		NoticeQueue:       prefix + ".notices",
		NoticeRetryPrefix: prefix + ".notices.retry.",
		// An earlier version's name; new names let both versions run side by side in a rollout.
		LegacyDeadQueue: prefix + ".runs.dead",
	}
}

// RetryDelays are the delays of the retry queues, shortest first. A retry waits in the queue of the
// shortest of them that is at least its delay (see RetryDelayAtLeast), so that however many
// delays jobs ask for, at most this many retry queues exist; from 2 s on, each step is at most half
// again the one before it, which bounds how much longer than asked a retry waits.
var RetryDelays = []time.Duration{
	1 * time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second, 6 * time.Second,
	8 * time.Second, 10 * time.Second, 12 * time.Second, 15 * time.Second, 20 * time.Second, 25 * time.Second,
	30 * time.Second, 40 * time.Second, 50 * time.Second,
	1 * time.Minute, 90 * time.Second, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute,
	6 * time.Minute, 8 * time.Minute, 10 * time.Minute, 12 * time.Minute, 15 * time.Minute, 20 * time.Minute,
	25 * time.Minute, 30 * time.Minute, 40 * time.Minute, 50 * time.Minute, time.Hour,
}

// RetryDelayAtLeast is the delay of the retry queue a retry of delay d waits in: the shortest of
// RetryDelays that is not shorter than d, and the longest for a longer d.
func RetryDelayAtLeast(d time.Duration) time.Duration {
	for _, q := range RetryDelays {
		if q >= d {
			return q
		}
	}
	return RetryDelays[len(RetryDelays)-1]
}

// RetryQueue names the queue in which a run waits delay before it goes back to the work queue.
func (t Topology) RetryQueue(delay time.Duration) string {
	return t.RetryPrefix + strconv.FormatInt(delay.Milliseconds(), 10) + "ms"
}

// OpenChannel opens a channel on conn and declares the topology on it: how the publisher's and
// the consumers' connections all begin.
func (t Topology) OpenChannel(conn *amqp.Connection) (*amqp.Channel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := t.Declare(ch); err != nil {
		return nil, err
	}
	return ch, nil
}

// Declare declares the durable exchanges and queues and their bindings.
func (t Topology) Declare(ch *amqp.Channel) error {
	if err := ch.ExchangeDeclare(t.Exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", t.Exchange, err)
	}
	if err := ch.ExchangeDeclare(t.DeadExchange, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", t.DeadExchange, err)
	}
	dead := amqp.Table{
		amqp.QueueTypeArg:     amqp.QueueTypeQuorum,
		amqp.QueueMaxLenArg:   int64(DeadQueueLimit),
		amqp.QueueOverflowArg: amqp.QueueOverflowDropHead,
	}
	if _, err := ch.QueueDeclare(t.DeadQueue, true, false, false, false, dead); err != nil {
		return fmt.Errorf("declare queue %s: %w", t.DeadQueue, err)
	}
	if err := ch.QueueBind(t.DeadQueue, "", t.DeadExchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", t.DeadQueue, err)
	}
	args := amqp.Table{
		amqp.QueueTypeArg:        amqp.QueueTypeQuorum,
		"x-dead-letter-exchange": t.DeadExchange,
		"x-delivery-limit":       int64(WorkDeliveryLimit),
	}
	if _, err := ch.QueueDeclare(t.WorkQueue, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w", t.WorkQueue, err)
	}
	if err := ch.QueueBind(t.WorkQueue, WorkRoutingKey, t.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", t.WorkQueue, err)
	}
	return t.declareNotices(ch)
}

// DeclareRetryQueue declares the queue where runs wait delay before their next attempt. Messages
// expire after delay into the work exchange, so a queue only ever holds messages of one delay and
// none waits behind a longer one. Expired messages are dead-lettered at least once: the queue keeps
// each until the work queue has taken it, even while the work queue changes leader, which needs
// reject-publish overflow (there is no length limit, so nothing is rejected). An unused queue
// deletes itself well after its last message left.
func (t Topology) DeclareRetryQueue(ch *amqp.Channel, delay time.Duration) (string, error) {
	return t.declareDelayQueue(ch, t.RetryQueue(delay), delay, WorkRoutingKey)
}

// declareDelayQueue declares a queue whose messages wait delay, then go to the exchange with key.
func (t Topology) declareDelayQueue(ch *amqp.Channel, name string, delay time.Duration, key string) (string, error) {
	args := amqp.Table{
		amqp.QueueTypeArg:           amqp.QueueTypeQuorum,
		amqp.QueueMessageTTLArg:     delay.Milliseconds(),
		"x-dead-letter-exchange":    t.Exchange,
		"x-dead-letter-routing-key": key,
		"x-dead-letter-strategy":    "at-least-once",
		amqp.QueueOverflowArg:       amqp.QueueOverflowRejectPublish,
		amqp.QueueTTLArg:            (2*delay + 10*time.Minute).Milliseconds(),
	}
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		return "", fmt.Errorf("declare queue %s: %w", name, err)
	}
	return name, nil
}

// Names lists the queues and exchanges of the topology, with the retry queues of the given delays.
func (t Topology) Names(delays ...time.Duration) (queues, exchanges []string) {
	queues = []string{t.WorkQueue, t.DeadQueue, t.NoticeQueue, t.LegacyDeadQueue}
	for _, d := range delays {
		queues = append(queues, t.RetryQueue(d), t.NoticeRetryQueue(d))
	}
	return queues, []string{t.Exchange, t.DeadExchange}
}
