package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/clustertest"
)

// clusterEnv is testEnv's environment with the cluster's nodes as AMQP_URL; the test's queues are
// deleted from the cluster when it ends.
func clusterEnv(tb testing.TB, r *clustertest.Rabbit) map[string]string {
	env := testEnvTB(tb)
	queues, exchanges := broker.NewTopology(env["AMQP_PREFIX"]).Names(time.Second, 2*time.Second)
	brokertest.DeleteAtCleanupOn(tb, r.URLs, queues, exchanges)
	env["AMQP_URL"] = r.URL()
	env["LOG_LEVEL"] = "info"
	return env
}

// nodeCrashScenario runs jobs every-second jobs on the cluster, kills the node holding most of
// Cronflow's connections for down, starts it again, and checks every slot from a steady start to
// 5 s after the restart. Delays are measured for the slots due from 5 s after the crash until the
// restart.
func nodeCrashScenario(tb testing.TB, jobs int, down time.Duration) slotReport {
	r := clustertest.NewRabbit(tb)
	env := clusterEnv(tb, r)
	f := newFleet(tb, env, env["DATABASE_URL"]).start()
	f.insertJobs(jobs, "* * * * * *")
	from := f.steadyFrom(jobs)
	waitUntil(from.Add(3 * time.Second))
	node := r.Busiest()
	led := r.Leader(broker.NewTopology(env["AMQP_PREFIX"]).WorkQueue) == node
	crash := time.Now()
	r.Kill(node)
	waitUntil(crash.Add(down))
	r.Restart(node)
	restarted := time.Now()
	until := restarted.Add(5 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 90*time.Second)
	rep := f.checkSlots(from, until, crash.Add(5*time.Second), restarted)
	rep.killedWorkLeader = led
	return rep
}

// burstScenario makes jobs jobs due in the same second on the cluster, kills the node holding
// most of Cronflow's connections 200 ms after that second and leaves it down. It returns the slot
// report of that second, with every run's delay, and the delay of the last.
func burstScenario(tb testing.TB, jobs int) slotReport {
	r := clustertest.NewRabbit(tb)
	env := clusterEnv(tb, r)
	f := newFleet(tb, env, env["DATABASE_URL"])
	// Far enough ahead for the inserts and the start-up.
	due := time.Now().Truncate(time.Second).Add(15*time.Second + time.Duration(jobs/200)*time.Second)
	f.insertJobs(jobs, fmt.Sprintf("%d %d %d * * *", due.Second(), due.Minute(), due.Hour()))
	f.start()
	node := r.Busiest()
	led := r.Leader(broker.NewTopology(env["AMQP_PREFIX"]).WorkQueue) == node
	if time.Until(due) < time.Second {
		tb.Fatal("the start-up took too long; the due second is too close")
	}
	waitUntil(due.Add(200 * time.Millisecond))
	r.Kill(node)
	f.waitSettled(due, 90*time.Second)
	rep := f.checkSlots(due, due, due, due)
	rep.killedWorkLeader = led
	return rep
}

func TestANodeCrashUnderSteadyLoadLosesNoRun(t *testing.T) {
	wantEveryRunOnce(t, nodeCrashScenario(t, 10, 6*time.Second))
}

func TestANodeCrashMidBurstRunsEveryRunOnce(t *testing.T) {
	wantEveryRunOnce(t, burstScenario(t, 300))
}
