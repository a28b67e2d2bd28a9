package worker

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

// deadMessages reads what is in the dead-letter queue now, without consuming it for good.
func deadMessages(t *testing.T, top broker.Topology) []amqp.Delivery {
	t.Helper()
	ch := amqpChannel(t)
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(top.DeadQueue, false)
		if err != nil {
			t.Fatalf("get from %s: %v", top.DeadQueue, err)
		}
		if !ok {
			break
		}
		out = append(out, d)
	}
	_ = ch.Close() // unacked messages go back to the queue
	return out
}

// deadRunIDs returns the run ids of the dead-lettered messages, and how many were not runs at all.
func deadRunIDs(t *testing.T, top broker.Topology) (ids []int64, poison int) {
	for _, d := range deadMessages(t, top) {
		var m runmsg.Message
		if json.Unmarshal(d.Body, &m) != nil || m.RunID == 0 {
			poison++
			continue
		}
		ids = append(ids, m.RunID)
	}
	return ids, poison
}

func publishRaw(t *testing.T, top broker.Topology, body []byte) {
	t.Helper()
	ch := amqpChannel(t)
	if err := ch.Confirm(false); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	dc, err := ch.PublishWithDeferredConfirm(top.Exchange, broker.WorkRoutingKey, true, false, amqp.Publishing{Body: body, DeliveryMode: amqp.Persistent})
	if err != nil || !dc.Wait() {
		t.Fatalf("publish raw message: %v", err)
	}
}

func TestFailingRunIsRetriedThenDeadLettered(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	failing := newRecordingTarget(t, func(string, int) int { return http.StatusServiceUnavailable })
	healthy := newRecordingTarget(t, nil)
	bad := h.insertJob(jobOpts{payload: map[string]string{"url": failing.URL}, maxRetries: 3, retryDelay: 2 * time.Second})
	good := h.insertJob(jobOpts{payload: map[string]string{"url": healthy.URL}})

	run := h.runNow(bad.ID)
	h.waitStatus(run.ID, "failed", 10*time.Second)

	t.Run("HealthyRunsGoOnWhileTheFailingOneWaits", func(t *testing.T) {
		for range 3 {
			ok := h.runNow(good.ID)
			h.waitStatus(ok.ID, "completed", 10*time.Second)
			if r := h.run(run.ID); r.Status == "permanently_failed" {
				t.Fatalf("the healthy run finished only after the failing run gave up")
			}
		}
	})

	final := h.waitStatus(run.ID, "permanently_failed", 30*time.Second)
	t.Run("TriedFourTimesSpacedByTheRetryDelay", func(t *testing.T) {
		hits := failing.hitsFor(idempotencyKey(bad.ID, run.ID))
		if len(hits) != 4 {
			t.Fatalf("target got %d requests, want 4", len(hits))
		}
		for i := 1; i < len(hits); i++ {
			if gap := hits[i].Sub(hits[i-1]); gap < 2*time.Second-50*time.Millisecond {
				t.Errorf("attempt %d came %s after the previous one, want at least the 2s retry delay", i+1, gap)
			}
		}
		if final.Attempts != 4 || final.RetryCount != 3 {
			t.Errorf("attempts=%d retry_count=%d, want 4 and 3", final.Attempts, final.RetryCount)
		}
		if final.Error == "" || final.CompletedAt == nil {
			t.Errorf("a permanently failed run keeps its error and completion time: %+v", final)
		}
	})
	t.Run("MessageIsDeadLettered", func(t *testing.T) {
		workertest.WaitFor(t, 5*time.Second, "dead-lettered run", func() bool {
			ids, _ := deadRunIDs(t, h.top)
			return len(ids) == 1 && ids[0] == run.ID
		})
	})
}

func TestPoisonMessagesAreDeadLetteredAndConsumersGoOn(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})

	publishRaw(t, h.top, []byte("this is not JSON"))
	publishRaw(t, h.top, []byte(`{"run_id": "seven"}`))
	publishRaw(t, h.top, []byte(`{"run_id": 987654321, "job_id": 1}`)) // no such run

	workertest.WaitFor(t, 10*time.Second, "three dead-lettered messages", func() bool {
		ids, poison := deadRunIDs(t, h.top)
		return poison == 2 && len(ids) == 1 && ids[0] == 987654321
	})
	run := h.runNow(job.ID)
	h.waitStatus(run.ID, "completed", 10*time.Second)
}

func TestACompletedRunIsNotExecutedAgainWhenRedelivered(t *testing.T) {
	t.Parallel()
	h := setup(t, 1)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	run := h.runNow(job.ID)
	h.waitStatus(run.ID, "completed", 10*time.Second)

	// The same message twice more, then a fresh run behind them: with one consumer the queue is
	// worked in order, so once the fresh run is done the duplicates have been handled.
	h.out.Publish(context.Background(), []runmsg.Message{{RunID: run.ID, JobID: job.ID}, {RunID: run.ID, JobID: job.ID}})
	sentinel := h.runNow(job.ID)
	h.waitStatus(sentinel.ID, "completed", 10*time.Second)

	if hits := tg.hitsFor(idempotencyKey(job.ID, run.ID)); len(hits) != 1 {
		t.Fatalf("the completed run was executed %d times, want 1", len(hits))
	}
	if r := h.run(run.ID); r.Attempts != 1 || r.Status != "completed" {
		t.Fatalf("run after redelivery: status=%s attempts=%d", r.Status, r.Attempts)
	}
	if ids, poison := deadRunIDs(t, h.top); len(ids)+poison != 0 {
		t.Fatalf("a duplicate of a finished run is dropped, not dead-lettered; dead queue has %d", len(ids)+poison)
	}
}

func TestARetryWaitSurvivesAConsumerRestart(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	// The first attempt fails, the second succeeds.
	tg := newRecordingTarget(t, func(_ string, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: 2 * time.Second})
	run := h.runNow(job.ID)
	h.waitStatus(run.ID, "failed", 10*time.Second)

	h.stopConsumer()
	h.startConsumer(2)

	done := h.waitStatus(run.ID, "completed", 15*time.Second)
	if done.Attempts != 2 || done.RetryCount != 1 {
		t.Fatalf("attempts=%d retry_count=%d, want 2 and 1", done.Attempts, done.RetryCount)
	}
}

func TestARetryWaitsThroughTheDeathOfItsQueuesNode(t *testing.T) {
	r := clustertest.NewRabbit(t)
	h := setupOn(t, r, 2)
	tg := newRecordingTarget(t, func(_ string, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	const delay = 15 * time.Second
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: delay})
	run := h.runNow(job.ID)
	h.waitStatus(run.ID, "failed", 10*time.Second)
	queue := h.top.RetryQueue(delay)
	workertest.WaitFor(t, 10*time.Second, "the retry waiting in its queue", func() bool {
		return clusterQueueLength(t, r, queue) == 1
	})

	// The node leading the retry queue dies while the retry waits; it stays down. No reaper runs:
	// the retry must come from the queue's copies on the other nodes.
	r.Kill(r.Leader(queue))
	if got := h.run(run.ID).Status; got != "failed" {
		t.Fatalf("the run is %s before its node died; the retry came too early for the test", got)
	}
	done := h.waitStatus(run.ID, "completed", 40*time.Second)
	if done.Attempts != 2 {
		t.Fatalf("attempts = %d, want 2", done.Attempts)
	}
	if hits := tg.hitsFor(idempotencyKey(job.ID, run.ID)); len(hits) != 2 || hits[1].Sub(hits[0]) < delay {
		t.Errorf("the target saw %d attempts (%v); want 2, the second after the retry delay", len(hits), hits)
	}
}

// clusterQueueLength counts the messages in a queue through the first node that answers, or
// returns -1 if none knows the queue.
func clusterQueueLength(t *testing.T, r *clustertest.Rabbit, queue string) int {
	for _, u := range r.URLs {
		conn, err := amqp.Dial(u)
		if err != nil {
			continue
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			continue
		}
		if q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil); err == nil {
			return q.Messages
		}
	}
	return -1
}

// amqpChannel opens a channel of the test's own, closed when the test ends.
func amqpChannel(t *testing.T) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(amqpURL())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	return ch
}

func TestATaskTypeThisReplicaCannotRunFailsTheRunNotTheConsumer(t *testing.T) {
	t.Parallel()
	h := setup(t, 1)
	tg := newRecordingTarget(t, nil)
	// An older replica, say, that knows webhooks but not pings.
	h.stopConsumer()
	full := task.NewExecutor(task.NewHTTPClient(1, true), task.MailConfig{})
	h.startConsumerWith(full.Only("webhook"), 1)

	ping := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	hook := h.insertJob(jobOpts{typ: "webhook", payload: map[string]any{"url": tg.URL, "body": map[string]int{"n": 1}}})
	bad := h.runNow(ping.ID)
	failed := h.waitStatus(bad.ID, "permanently_failed", 10*time.Second)
	if !strings.Contains(failed.Error, `unknown task type "ping"`) {
		t.Errorf("error = %q", failed.Error)
	}
	good := h.runNow(hook.ID)
	h.waitStatus(good.ID, "completed", 10*time.Second)
}

// A run completed when its task ended: a result that waits for the database (here, for a
// connection: the test holds every connection of the pool for 1.5 s after the target answered) is
// stamped with that instant, in the run and in its attempt, not with the time the database took it.
func TestARunCompletesWhenItsTaskEndsNotWhenItsResultIsStored(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	ctx := context.Background()
	var answered time.Time
	held := make(chan int, 1)
	target := newRecordingTarget(t, func(string, int) int {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var conns []*pgxpool.Conn
		for range h.pool.Config().MaxConns {
			c, err := h.pool.Acquire(actx)
			if err != nil {
				t.Errorf("hold the pool's connections: %v", err)
				break
			}
			conns = append(conns, c)
		}
		answered = time.Now()
		go func() {
			time.Sleep(1500 * time.Millisecond)
			held <- len(conns)
			for _, c := range conns {
				c.Release()
			}
		}()
		return http.StatusOK
	})
	jobID := h.insertJob(jobOpts{payload: map[string]string{"url": target.URL}}).ID
	run := h.waitStatus(h.runNow(jobID).ID, "completed", 15*time.Second)
	if n := <-held; n != int(h.pool.Config().MaxConns) {
		t.Fatalf("held %d of the pool's %d connections", n, h.pool.Config().MaxConns)
	}
	var finished time.Time
	if err := h.pool.QueryRow(ctx, "SELECT finished_at FROM run_attempts WHERE run_id = $1", run.ID).Scan(&finished); err != nil {
		t.Fatal(err)
	}
	for name, at := range map[string]time.Time{"completed_at": *run.CompletedAt, "the attempt's finished_at": finished} {
		if d := at.Sub(answered); d < 0 || d > 500*time.Millisecond {
			t.Errorf("%s is %s after the target answered, want the moment the task ended (under 500 ms)", name, d)
		}
	}
	if run.StartedAt == nil || run.CompletedAt.Before(*run.StartedAt) {
		t.Errorf("completed_at %s is before started_at %v", run.CompletedAt, run.StartedAt)
	}
}
