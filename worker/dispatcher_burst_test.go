package worker

import (
	"context"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

// completedRuns counts the runs in the harness's database that completed.
func (h *harness) completedRuns() int64 {
	h.t.Helper()
	counts, err := h.q.RunCountByStatus(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range counts {
		if c.Status == "completed" {
			return c.Runs
		}
	}
	return 0
}

func TestBrokerConnectionsClosedMidBurstLoseNoRun(t *testing.T) {
	t.Parallel()
	const jobs = 1000
	h := setup(t, 16)
	tg := newRecordingTarget(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.disp.Run(ctx)
	go NewReaper(h.q, h.out, h.logger).Run(ctx)

	slot := time.Now().Truncate(time.Second)
	next := slot.Add(time.Hour)
	go func() {
		for range jobs {
			job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
			h.disp.Due(ctx, job.ID, job.UpdatedAt, slot, next)
		}
	}()

	// Drop both connections three times while the burst is being worked.
	for _, at := range []int64{100, 400, 700} {
		workertest.WaitFor(t, 60*time.Second, "progress through the burst", func() bool { return h.completedRuns() >= at })
		workertest.WaitFor(t, 10*time.Second, "both connections up", func() bool { return h.pub.Connected() && h.consumer.Connected() })
		h.pub.CloseConnection()
		h.consumer.closeConnection()
	}
	workertest.WaitFor(t, 90*time.Second, "every run completed", func() bool { return h.completedRuns() == jobs })

	requests, keys := tg.total()
	if keys != jobs {
		t.Errorf("target saw %d distinct runs, want %d", keys, jobs)
	}
	if requests != keys {
		t.Errorf("target got %d requests for %d runs: some run was executed twice", requests, keys)
	}
	if h.pub.Reconnects() < 3 || h.consumer.Reconnects() < 3 {
		t.Errorf("reconnects: publisher %d, consumer %d; want at least 3 each", h.pub.Reconnects(), h.consumer.Reconnects())
	}
}
