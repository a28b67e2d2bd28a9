package clustertest

import (
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/brokertest"
)

func TestRabbitTellsWhereConnectionsAndLeadersAreAndKillsANode(t *testing.T) {
	r := NewRabbit(t)
	conn, err := amqp.Dial(r.URLs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	queue := brokertest.Prefix() + ".leader"
	// A quorum queue's leader starts on the node of the client that declared it.
	if _, err := ch.QueueDeclare(queue, true, false, false, false, amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}); err != nil {
		t.Fatal(err)
	}
	// Through node 1: the test kills node 2.
	t.Cleanup(func() {
		if c, err := amqp.Dial(r.URLs[0]); err == nil {
			if ch, err := c.Channel(); err == nil {
				_, _ = ch.QueueDelete(queue, false, false, false)
			}
			_ = c.Close()
		}
	})
	if got := r.Busiest(); got != 2 {
		t.Errorf("busiest node = %d with connections %v, want 2", got, r.Connections())
	}
	if got := r.Leader(queue); got != 2 {
		t.Errorf("leader of %s = %d, want 2", queue, got)
	}

	r.Kill(2)
	if !conn.IsClosed() {
		waitClosed(t, conn)
	}
	if got := r.Leader(queue); got == 2 {
		t.Errorf("the leader is still the killed node")
	}
	r.Restart(2)
	if c := r.Connections(); c[2] != 0 {
		t.Errorf("connections on the restarted node = %d, want 0", c[2])
	}
}

func waitClosed(t *testing.T, conn *amqp.Connection) {
	t.Helper()
	if err := <-conn.NotifyClose(make(chan *amqp.Error, 1)); err == nil && !conn.IsClosed() {
		t.Fatal("the connection to the killed node did not close")
	}
}
