package broker

import (
	"context"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/workertest"
)

// run runs runFunc until the test ends.
func run(t *testing.T, runFunc func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runFunc(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestAConnectionPassesOverANodeThatIsDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	_ = l.Close()
	up, _ := url.Parse(brokertest.URL())
	urls := []string{"amqp://guest:guest@" + down + "/", brokertest.URL()}
	for first := range urls {
		var setups atomic.Int64
		c := NewConnection(urls, "test", workertest.Logger(t), func(context.Context, *amqp.Connection) error {
			setups.Add(1)
			return nil
		}, nil)
		c.next = first
		run(t, c.Run)
		workertest.WaitFor(t, 10*time.Second, "connected", c.Connected)
		if c.Node() != up.Host || setups.Load() != 1 {
			t.Errorf("starting at node %d: on %q after %d setups, want %s after 1", first, c.Node(), setups.Load(), up.Host)
		}
	}
}

func TestConnectionsStartOnNodesChosenAtRandom(t *testing.T) {
	t.Parallel()
	urls := []string{"amqp://a/", "amqp://b/", "amqp://c/"}
	first := map[int]bool{}
	for range 60 {
		first[NewConnection(urls, "test", workertest.Logger(t), nil, nil).next] = true
	}
	if len(first) != len(urls) {
		t.Errorf("60 connections started on nodes %v only, want all three", first)
	}
}

func TestAPublisherMovesToAnotherNodeWhenItsNodeDies(t *testing.T) {
	r := clustertest.NewRabbit(t)
	top := NewTopology(brokertest.Prefix())
	queues, exchanges := top.Names()
	brokertest.DeleteAtCleanupOn(t, r.URLs, queues, exchanges)
	pub := NewPublisher(r.URLs, top, workertest.Logger(t))
	run(t, pub.Run)
	workertest.WaitFor(t, 20*time.Second, "the publisher connects", pub.Connected)
	node := pub.conn.Node()
	killed := 0
	for i, u := range r.URLs {
		if p, _ := url.Parse(u); p.Host == node {
			killed = i + 1
			r.Kill(killed)
		}
	}
	workertest.WaitFor(t, 20*time.Second, "the publisher is on another node", func() bool {
		return pub.Connected() && pub.conn.Node() != node
	})
	// The topology is there on the new node too: the run is routed and confirmed. The work queue
	// may have had its leader on the dead node: until the others elect a new one, the broker
	// refuses what is published to it, and the dispatcher leaves such runs to the reaper. The
	// election takes seconds; but a queue declared just after another test restarted a node can
	// have only two members (RabbitMQ counts the nodes it sees running), and with one of them
	// killed it has no majority until that node is back: after 20 s the killed node is started
	// again, and the publisher, still on its new node, must then publish there.
	restarted := false
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok, err := pub.PublishRuns(ctx, []runmsg.Message{{RunID: 1, JobID: 1}})
		cancel()
		if err == nil && len(ok) == 1 {
			break
		}
		if !restarted && time.Until(deadline) < 40*time.Second {
			t.Logf("the work queue has had no leader for 20 s (%v); starting node %d again", err, killed)
			r.Restart(killed)
			restarted = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish after the move: confirmed %v, %v", ok, err)
		}
	}
	if pub.conn.Node() == node {
		t.Errorf("the run was published through the node that was killed, %s", node)
	}
	if pub.Reconnects() != 1 {
		t.Errorf("reconnects = %d, want 1", pub.Reconnects())
	}
}
