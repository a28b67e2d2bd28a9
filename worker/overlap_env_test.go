package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

// The harness of issue 21's tests: a consumer whose settled runs go through the alert step (which
// lets queued slots go and makes the runs after runs), a second replica, and a target that can hold
// requests open.

// setupSettling is setup with the alert step on, as in production.
func setupSettling(t *testing.T, consumers int) *harness {
	t.Helper()
	h := setup(t, consumers)
	h.stopConsumer()
	h.alerts = NewAlerter(h.pool, h.q, h.out, h.logger)
	h.startConsumer(consumers)
	return h
}

// startReplica starts a second set of publisher, outbox, runner and consumer on the same queue and
// database, as another replica would, stopped at cleanup.
func (h *harness) startReplica(workers int) {
	h.t.Helper()
	pub := h.startPublisher(h.urls...)
	out := NewOutbox(h.q, pub, h.logger)
	runner := NewRunner(h.q, task.NewExecutor(task.NewHTTPClient(workers, true), task.MailConfig{}), pub, h.logger)
	runner.Alerts = NewAlerter(h.pool, h.q, out, h.logger)
	c := NewConsumer(h.urls, h.top, workers, 5*time.Second, runner.Handle, h.logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
	workertest.WaitFor(h.t, 10*time.Second, "replica consumes", c.Connected)
	workertest.WaitFor(h.t, 10*time.Second, "replica publishes", pub.Connected)
}

// setJob changes a job's settings through JobUpdate, as an edit would.
func (h *harness) setJob(j sqlcgen.Job, change func(p *sqlcgen.JobUpdateParams)) sqlcgen.Job {
	h.t.Helper()
	p := sqlcgen.JobUpdateParams{ID: j.ID, Name: j.Name, Type: j.Type, Payload: j.Payload, Cron: j.Cron,
		Timezone: j.Timezone, MaxRetries: j.MaxRetries, RetryDelayMs: j.RetryDelayMs, TimeoutMs: j.TimeoutMs,
		Catchup: j.Catchup, NextRunAt: j.NextRunAt, Overlap: j.Overlap, AfterJobID: j.AfterJobID, AfterOn: j.AfterOn,
		Params: j.Params, PauseAfterFailures: j.PauseAfterFailures, AlertOn: j.AlertOn}
	change(&p)
	job, err := h.q.JobUpdate(context.Background(), p)
	if err != nil {
		h.t.Fatalf("update job %d: %v", j.ID, err)
	}
	return job
}

// settledAll waits until every run of a job is settled, and returns them.
func (h *harness) settledAll(jobID int64, within time.Duration) []sqlcgen.Run {
	h.t.Helper()
	var runs []sqlcgen.Run
	workertest.WaitFor(h.t, within, "every run settled", func() bool {
		var err error
		runs, err = h.q.RunListByJob(context.Background(), sqlcgen.RunListByJobParams{JobID: jobID, BeforeID: 1 << 62, MaxRows: 10000})
		if err != nil {
			return false
		}
		for _, r := range runs {
			if !r.Status.Settled() {
				return false
			}
		}
		return true
	})
	return runs
}

// countStatuses counts runs by status.
func countStatuses(runs []sqlcgen.Run) map[runstatus.Status]int {
	out := map[runstatus.Status]int{}
	for _, r := range runs {
		out[r.Status]++
	}
	return out
}

// holdTarget is an HTTP target that records each request's query and idempotency key, holds open
// the requests hold says to (until released or the client gives up), and counts how many requests
// it served at once.
type holdTarget struct {
	*httptest.Server
	mu            sync.Mutex
	queries       []url.Values
	keys          map[string]int
	active, most  int
	gaveUp        int
	release       chan struct{}
	hold          func(q url.Values, n int) bool
	serveFor      time.Duration
	releaseClosed bool
}

func newHoldTarget(t *testing.T, hold func(q url.Values, n int) bool, serveFor time.Duration) *holdTarget {
	tg := &holdTarget{keys: map[string]int{}, release: make(chan struct{}), hold: hold, serveFor: serveFor}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.queries = append(tg.queries, r.URL.Query())
		tg.keys[r.Header.Get("Idempotency-Key")]++
		n := len(tg.queries)
		tg.active++
		tg.most = max(tg.most, tg.active)
		tg.mu.Unlock()
		defer func() { tg.mu.Lock(); tg.active--; tg.mu.Unlock() }()
		if tg.hold != nil && tg.hold(r.URL.Query(), n) {
			select {
			case <-tg.release:
			case <-r.Context().Done():
				tg.mu.Lock()
				tg.gaveUp++
				tg.mu.Unlock()
				return
			}
		}
		time.Sleep(tg.serveFor) // a target that takes its time, so that runs overlap
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(func() { tg.releaseAll(); tg.Close() })
	return tg
}

// releaseAll lets every held request go.
func (tg *holdTarget) releaseAll() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if !tg.releaseClosed {
		close(tg.release)
		tg.releaseClosed = true
	}
}

// snapshot returns the requests so far, the most served at once, and how many held requests the
// client gave up on.
func (tg *holdTarget) snapshot() (requests int, most int, gaveUp int, keys map[string]int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	keys = map[string]int{}
	for k, v := range tg.keys {
		keys[k] = v
	}
	return len(tg.queries), tg.most, tg.gaveUp, keys
}
