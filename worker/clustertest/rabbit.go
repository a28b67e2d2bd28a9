package clustertest

import (
	"strconv"
	"strings"
	"testing"
)

// Rabbit is the three-node RabbitMQ cluster of .ci/rabbit-cluster, nodes 1 to 3.
type Rabbit struct {
	t testing.TB
	// URLs are the nodes' AMQP URLs, node 1 first.
	URLs []string
}

// NewRabbit waits until the test has the cluster to itself, makes sure all three nodes run, and
// at cleanup starts again any node the test killed.
func NewRabbit(t testing.TB) *Rabbit {
	t.Helper()
	take(t, "rabbit-cluster")
	r := &Rabbit{t: t}
	script(t, "rabbit-cluster", "start")
	t.Cleanup(func() { script(t, "rabbit-cluster", "start") })
	r.URLs = strings.Split(script(t, "rabbit-cluster", "urls"), ",")
	return r
}

// URL is every node's URL, comma-separated, as AMQP_URL takes them.
func (r *Rabbit) URL() string { return strings.Join(r.URLs, ",") }

// Kill ends node n's Erlang VM with kill -9, as a crash would, and returns once it is gone.
func (r *Rabbit) Kill(n int) {
	r.t.Helper()
	script(r.t, "rabbit-cluster", "kill", strconv.Itoa(n))
}

// Restart starts node n again after Kill and returns once it runs; it rejoins with its data.
func (r *Rabbit) Restart(n int) {
	r.t.Helper()
	script(r.t, "rabbit-cluster", "restart", strconv.Itoa(n))
}

// Connections counts the client connections on each node, by node number.
func (r *Rabbit) Connections() map[int]int {
	r.t.Helper()
	counts := map[int]int{}
	for _, f := range fields(script(r.t, "rabbit-cluster", "connections")) {
		n, err := nodeNumber(f[0])
		if err != nil || len(f) != 2 {
			r.t.Fatalf("rabbit-cluster connections: unexpected line %q", strings.Join(f, " "))
		}
		counts[n], _ = strconv.Atoi(f[1])
	}
	return counts
}

// Busiest is the node with the most client connections (the lowest number among equals).
func (r *Rabbit) Busiest() int {
	r.t.Helper()
	best := 1
	counts := r.Connections()
	for n := 2; n <= 3; n++ {
		if counts[n] > counts[best] {
			best = n
		}
	}
	return best
}

// Leader is the node that leads the quorum queue.
func (r *Rabbit) Leader(queue string) int {
	r.t.Helper()
	n, err := strconv.Atoi(script(r.t, "rabbit-cluster", "leader", queue))
	if err != nil {
		r.t.Fatalf("leader of %s: %v", queue, err)
	}
	return n
}
