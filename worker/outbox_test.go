package worker

import (
	"context"
	"testing"

	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/runmsg"
)

func TestAnUnroutableRunIsNotCountedAsPublished(t *testing.T) {
	t.Parallel()
	h := setup(t, 1)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": "http://127.0.0.1:1/"}})
	ch := amqpChannel(t)
	// Someone removed the binding: the exchange takes the message but routes it nowhere.
	if err := ch.QueueUnbind(h.top.WorkQueue, broker.WorkRoutingKey, h.top.Exchange, nil); err != nil {
		t.Fatal(err)
	}
	run, err := h.q.RunInsertManual(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.out.Publish(context.Background(), []runmsg.Message{{RunID: run.ID, JobID: job.ID}})
	if r := h.run(run.ID); r.PublishedAt != nil {
		t.Fatalf("an unroutable run is marked published at %s", r.PublishedAt)
	}
	if h.pub.Returned.Load() != 1 || h.pub.Confirmed.Load() != 0 {
		t.Fatalf("returned %d, confirmed %d; want 1 and 0", h.pub.Returned.Load(), h.pub.Confirmed.Load())
	}
}
