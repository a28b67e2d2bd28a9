package worker

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestARunNeverPublishedIsPublishedByTheReaper(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, nil)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})

	// An outbox whose broker is unreachable cannot publish the stored run.
	down := NewOutbox(h.q, h.startPublisher("amqp://guest:guest@127.0.0.1:1/"), h.logger)
	run, err := h.q.RunInsertManual(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	down.Publish(context.Background(), []runmsg.Message{{RunID: run.ID, JobID: job.ID}})
	if r := h.run(run.ID); r.Status != "queued" || r.PublishedAt != nil {
		t.Fatalf("run after a failed publish: status=%s published_at=%v, want queued and unpublished", r.Status, r.PublishedAt)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go NewReaper(h.q, h.out, h.logger).Run(ctx)
	h.waitStatus(run.ID, "completed", 20*time.Second)
}

func TestARetryLostByTheBrokerIsPublishedAgain(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	tg := newRecordingTarget(t, func(_ string, n int) int {
		if n == 1 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 3, retryDelay: 5 * time.Second})
	run := h.runNow(job.ID)
	h.waitStatus(run.ID, "failed", 10*time.Second)
	ch := amqpChannel(t)
	workertest.WaitFor(t, 10*time.Second, "the retry waiting in its queue", func() bool {
		// Asking for a queue that is not there yet closes the channel: ask on a fresh one.
		probe := amqpChannel(t)
		q, err := probe.QueueDeclarePassive(h.top.RetryQueue(5*time.Second), true, false, false, false, nil)
		return err == nil && q.Messages == 1
	})

	// As a broker restart can: the message waiting in the retry queue is gone.
	if n, err := ch.QueuePurge(h.top.RetryQueue(5*time.Second), false); err != nil || n != 1 {
		t.Fatalf("purge the retry queue: %d messages, %v", n, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reaper := NewReaper(h.q, h.out, h.logger)
	reaper.RetryOverdueAfter = time.Second
	go reaper.Run(ctx)
	done := h.waitStatus(run.ID, "completed", 20*time.Second)
	if done.Attempts != 2 {
		t.Fatalf("attempts = %d, want 2", done.Attempts)
	}
}
