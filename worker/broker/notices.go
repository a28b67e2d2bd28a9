package broker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/runmsg"
)

// NoticeRoutingKey routes a notice from the exchange to the notice queue.
const NoticeRoutingKey = "notice"

// NoticeRetryQueue names the queue in which a notice waits delay before its next delivery attempt.
func (t Topology) NoticeRetryQueue(delay time.Duration) string {
	return t.NoticeRetryPrefix + strconv.FormatInt(delay.Milliseconds(), 10) + "ms"
}

// declareNotices declares the notice queue: a quorum queue like the work queue, with the same
// dead-letter exchange and delivery limit, bound to the same exchange by its own key.
func (t Topology) declareNotices(ch *amqp.Channel) error {
	args := amqp.Table{
		amqp.QueueTypeArg:        amqp.QueueTypeQuorum,
		"x-dead-letter-exchange": t.DeadExchange,
		"x-delivery-limit":       int64(WorkDeliveryLimit),
	}
	if _, err := ch.QueueDeclare(t.NoticeQueue, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w", t.NoticeQueue, err)
	}
	if err := ch.QueueBind(t.NoticeQueue, NoticeRoutingKey, t.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", t.NoticeQueue, err)
	}
	return nil
}

// PublishNotices publishes notices to the notice queue and waits for the broker to confirm them.
// It returns the ids of the notices that were confirmed, and the first error met.
func (p *Publisher) PublishNotices(ctx context.Context, ids []int64) ([]int64, error) {
	msgs := make([]runmsg.Notice, len(ids))
	for i, id := range ids {
		msgs[i] = runmsg.Notice{NoticeID: id}
	}
	return publish(ctx, p, p.top.Exchange, NoticeRoutingKey, msgs)
}

// PublishNoticeRetry publishes a notice to wait delay in a retry queue of its own, from which it
// goes back to the notice queue.
func (p *Publisher) PublishNoticeRetry(ctx context.Context, id int64, delay time.Duration) error {
	ch, _, err := p.channel()
	if err != nil {
		return err
	}
	queue, err := p.top.declareDelayQueue(ch, p.top.NoticeRetryQueue(delay), delay, NoticeRoutingKey)
	if err != nil {
		return err
	}
	_, err = publish(ctx, p, "", queue, []runmsg.Notice{{NoticeID: id}})
	return err
}
