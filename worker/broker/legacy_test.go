package broker

import (
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/workertest"
)

// declareLegacy declares the topology of the earlier version, with its classic retry and
// dead-letter queues, and puts dead letters and a waiting retry in them.
func declareLegacy(t *testing.T, ch *amqp.Channel, top Topology, deadLetters int) {
	t.Helper()
	legacyRetry := top.Exchange + ".retry.1000ms"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ch.ExchangeDeclare(top.Exchange, amqp.ExchangeDirect, true, false, false, false, nil))
	must(ch.ExchangeDeclare(top.DeadExchange, amqp.ExchangeFanout, true, false, false, false, nil))
	_, err := ch.QueueDeclare(top.LegacyDeadQueue, true, false, false, false, nil)
	must(err)
	must(ch.QueueBind(top.LegacyDeadQueue, "", top.DeadExchange, false, nil))
	_, err = ch.QueueDeclare(top.WorkQueue, true, false, false, false, amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum,
		"x-dead-letter-exchange": top.DeadExchange, "x-delivery-limit": int64(20)})
	must(err)
	must(ch.QueueBind(top.WorkQueue, WorkRoutingKey, top.Exchange, false, nil))
	_, err = ch.QueueDeclare(legacyRetry, true, false, false, false, amqp.Table{"x-message-ttl": int64(1000),
		"x-dead-letter-exchange": top.Exchange, "x-dead-letter-routing-key": WorkRoutingKey, "x-expires": int64(600000)})
	must(err)
	must(ch.Confirm(false))
	publish := func(exchange, key, body string) {
		dc, err := ch.PublishWithDeferredConfirm(exchange, key, false, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(body)})
		must(err)
		if !dc.Wait() {
			t.Fatal("the broker refused a message")
		}
	}
	for i := range deadLetters {
		publish(top.DeadExchange, "", fmt.Sprintf(`{"run_id": %d}`, i+1))
	}
	publish("", legacyRetry, `{"run_id": 99}`)
}

// count is the number of messages in queue, or -1 if there is no such queue.
func count(t *testing.T, conn *amqp.Connection, queue string) int {
	t.Helper()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		return -1
	}
	return q.Messages
}

func TestAnEarlierVersionsQueuesAreMigratedWithoutLosingAMessage(t *testing.T) {
	t.Parallel()
	top := NewTopology(brokertest.Prefix())
	queues, exchanges := top.Names(time.Second)
	legacyRetry := top.Exchange + ".retry.1000ms"
	brokertest.DeleteAtCleanup(t, append(queues, legacyRetry), exchanges)
	conn, err := amqp.Dial(brokertest.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	const deadLetters = 1200 // more than one batch
	declareLegacy(t, ch, top, deadLetters)

	pub := NewPublisher([]string{brokertest.URL()}, top, workertest.Logger(t))
	run(t, pub.Run)
	workertest.WaitFor(t, 20*time.Second, "the dead letters are in the quorum queue and the classic one is gone", func() bool {
		return count(t, conn, top.DeadQueue) == deadLetters && count(t, conn, top.LegacyDeadQueue) == -1
	})
	// The earlier version's retry queue is left alone: its retry expires into the work queue.
	workertest.WaitFor(t, 20*time.Second, "the waiting retry reaches the work queue", func() bool {
		return count(t, conn, top.WorkQueue) == 1
	})
	// A new dead letter reaches the new queue only.
	dc, err := ch.PublishWithDeferredConfirm(top.DeadExchange, "", false, false, amqp.Publishing{Body: []byte(`{}`)})
	if err != nil || !dc.Wait() {
		t.Fatalf("publish a dead letter: %v", err)
	}
	workertest.WaitFor(t, 10*time.Second, "the new dead letter is in the quorum queue", func() bool {
		return count(t, conn, top.DeadQueue) == deadLetters+1
	})
}
