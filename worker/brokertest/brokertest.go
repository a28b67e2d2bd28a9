// Package brokertest gives tests a real RabbitMQ with names of their own: a unique prefix for the
// exchanges and queues, which are deleted when the test ends.
package brokertest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// URL is the broker the tests use: TEST_AMQP_URL, or the local RabbitMQ.
func URL() string {
	if u := os.Getenv("TEST_AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// Prefix returns a name prefix no other test uses.
func Prefix() string {
	buf := make([]byte, 5)
	_, _ = rand.Read(buf)
	return "cftest." + hex.EncodeToString(buf)
}

// DeleteAtCleanup deletes the queues and exchanges when the test ends. Names that do not exist are
// passed over.
func DeleteAtCleanup(t testing.TB, queues, exchanges []string) {
	DeleteAtCleanupOn(t, []string{URL()}, queues, exchanges)
}

// DeleteAtCleanupOn is DeleteAtCleanup on the broker at urls, the nodes of a test cluster, through
// the first that answers: the test may have killed some.
func DeleteAtCleanupOn(t testing.TB, urls []string, queues, exchanges []string) {
	t.Cleanup(func() {
		var conn *amqp.Connection
		var err error
		for _, u := range urls {
			if conn, err = amqp.Dial(u); err == nil {
				break
			}
		}
		if err != nil {
			t.Errorf("connect to clean up: %v", err)
			return
		}
		defer conn.Close()
		// Each delete gets its own channel: deleting what is not there closes the channel.
		for _, q := range queues {
			if ch, err := conn.Channel(); err == nil {
				_, _ = ch.QueueDelete(q, false, false, false)
				_ = ch.Close()
			}
		}
		for _, ex := range exchanges {
			if ch, err := conn.Channel(); err == nil {
				_ = ch.ExchangeDelete(ex, false, false)
				_ = ch.Close()
			}
		}
	})
}
