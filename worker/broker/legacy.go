package broker

import (
	"errors"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// moveBatch is how many dead letters are moved between two waits for the broker's confirms.
const moveBatch = 500

// MoveLegacy empties the classic dead-letter queue of an earlier version into DeadQueue and
// deletes it, and reports how many messages it moved. It is unbound from the dead-letter exchange
// first, so that no new dead letter lands in it; each message is removed from it only once the
// broker has confirmed its copy in DeadQueue, so none is lost if the move is cut short (one may
// then be moved twice). Without a legacy queue it does nothing. Replicas of the earlier version
// still running declare and bind it again; the next move takes what reached it meanwhile.
func (t Topology) MoveLegacy(conn *amqp.Connection) (int, error) {
	ch, err := conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclarePassive(t.LegacyDeadQueue, true, false, false, false, nil); err != nil {
		var amqpErr *amqp.Error
		if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
			return 0, nil
		}
		return 0, fmt.Errorf("look for queue %s: %w", t.LegacyDeadQueue, err)
	}
	if err := ch.QueueUnbind(t.LegacyDeadQueue, "", t.DeadExchange, nil); err != nil {
		return 0, fmt.Errorf("unbind queue %s: %w", t.LegacyDeadQueue, err)
	}
	if err := ch.Confirm(false); err != nil {
		return 0, fmt.Errorf("enable confirms: %w", err)
	}
	moved := 0
	for {
		n, err := t.moveSome(ch)
		moved += n
		if err != nil || n == 0 {
			if err == nil {
				err = deleteIfEmpty(ch, t.LegacyDeadQueue)
			}
			return moved, err
		}
	}
}

// moveSome moves up to moveBatch messages and returns how many it moved; none means the queue is
// empty.
func (t Topology) moveSome(ch *amqp.Channel) (int, error) {
	var last uint64
	confirms := make([]*amqp.DeferredConfirmation, 0, moveBatch)
	for len(confirms) < moveBatch {
		d, ok, err := ch.Get(t.LegacyDeadQueue, false)
		if err != nil {
			return 0, fmt.Errorf("get from %s: %w", t.LegacyDeadQueue, err)
		}
		if !ok {
			break
		}
		dc, err := ch.PublishWithDeferredConfirm("", t.DeadQueue, true, false, amqp.Publishing{
			Headers: d.Headers, ContentType: d.ContentType, DeliveryMode: amqp.Persistent,
			MessageId: d.MessageId, Timestamp: d.Timestamp, Body: d.Body,
		})
		if err != nil {
			return 0, fmt.Errorf("publish to %s: %w", t.DeadQueue, err)
		}
		confirms = append(confirms, dc)
		last = d.DeliveryTag
	}
	for _, dc := range confirms {
		if !dc.Wait() {
			return 0, fmt.Errorf("the broker refused a dead letter moved to %s", t.DeadQueue)
		}
	}
	if len(confirms) > 0 {
		if err := ch.Ack(last, true); err != nil {
			return 0, fmt.Errorf("ack moved dead letters: %w", err)
		}
	}
	return len(confirms), nil
}

// deleteIfEmpty deletes an empty queue that nobody consumes. One that filled up again meanwhile
// stays for the next move.
func deleteIfEmpty(ch *amqp.Channel, queue string) error {
	if _, err := ch.QueueDelete(queue, true, true, false); err != nil {
		return fmt.Errorf("delete queue %s: %w", queue, err)
	}
	return nil
}
