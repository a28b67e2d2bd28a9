package worker

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

// amqpURL is the broker the tests use.
func amqpURL() string { return brokertest.URL() }

// testTopologyOn returns broker names unique to the test on the broker nodes at urls, deleted
// when it ends.
func testTopologyOn(t *testing.T, urls []string) broker.Topology {
	top := broker.NewTopology(brokertest.Prefix())
	queues, exchanges := top.Names(broker.RetryDelays...)
	brokertest.DeleteAtCleanupOn(t, urls, queues, exchanges)
	return top
}

// harness is a database, a broker topology, a publisher and a consumer, all real, stopped when the
// test ends.
type harness struct {
	t        *testing.T
	pool     *pgxpool.Pool
	q        *sqlcgen.Queries
	top      broker.Topology
	logger   *slog.Logger
	pub      *broker.Publisher
	out      *Outbox
	disp     *Dispatcher
	consumer *Consumer
	stopCons context.CancelFunc
	consDone chan struct{}
	// urls are the broker nodes the consumer uses: the local broker unless set.
	urls []string
	// alerts, if set before the consumer starts, takes settled runs through the alert step.
	alerts *Alerter
	// wrap, if set before the consumer starts, wraps the runner's handler.
	wrap func(HandlerFunc) HandlerFunc
	// metrics, if set before the consumer starts, is the runner's.
	metrics *Metrics
	// secrets, if set before the consumer starts, opens the runner's secrets.
	secrets *Secrets
	// prefetch, if set before the consumer starts, is its prefetch; without it, one per worker.
	prefetch int
	// maxEarly, if set before the consumer starts, is how long a run may wait for its due instant.
	maxEarly time.Duration
}

// setup starts a publisher and a consumer with the given number of goroutines.
func setup(t *testing.T, consumers int) *harness {
	t.Helper()
	return setupOn(t, nil, consumers)
}

// setupOn is setup on the cluster r, or on the local broker if r is nil.
func setupOn(t *testing.T, r *clustertest.Rabbit, consumers int) *harness {
	t.Helper()
	h := &harness{t: t, pool: dbtest.NewPool(t), logger: workertest.Logger(t), urls: []string{amqpURL()}}
	if r != nil {
		h.urls = r.URLs
	}
	h.top = testTopologyOn(t, h.urls)
	h.q = sqlcgen.New(h.pool)
	h.pub = h.startPublisher(h.urls...)
	h.out = NewOutbox(h.q, h.pub, h.logger)
	h.disp = NewDispatcher(h.q, h.out, h.logger)
	h.startConsumer(consumers)
	return h
}

// startPublisher starts a publisher of the nodes at urls, stopped at cleanup.
func (h *harness) startPublisher(urls ...string) *broker.Publisher {
	ctx, cancel := context.WithCancel(context.Background())
	pub := broker.NewPublisher(urls, h.top, h.logger)
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
	return pub
}

// startConsumer starts (or restarts) the harness's consumer and waits until it consumes.
func (h *harness) startConsumer(workers int) {
	h.startConsumerWith(task.NewExecutor(task.NewHTTPClient(workers, true), task.MailConfig{}), workers)
}

// startConsumerWith starts the harness's consumer with an executor of the test's.
func (h *harness) startConsumerWith(exec *task.Executor, workers int) {
	ctx, cancel := context.WithCancel(context.Background())
	urls := h.urls
	if urls == nil {
		urls = []string{amqpURL()}
	}
	runner := NewRunner(h.q, exec, h.pub, h.logger)
	runner.Alerts = h.alerts
	runner.Metrics = h.metrics
	runner.Secrets = h.secrets
	runner.Slots = NewSlots(workers)
	if h.maxEarly > 0 {
		runner.maxEarly = h.maxEarly
	}
	handle := HandlerFunc(runner.Handle)
	if h.wrap != nil {
		handle = h.wrap(handle)
	}
	h.consumer = NewConsumer(urls, h.top, workers, 5*time.Second, handle, h.logger)
	h.consumer.Prefetch = h.prefetch
	h.stopCons = cancel
	h.consDone = make(chan struct{})
	done := h.consDone
	go func() { defer close(done); h.consumer.Run(ctx) }()
	h.t.Cleanup(h.stopConsumer)
	workertest.WaitFor(h.t, 10*time.Second, "consumer connects", h.consumer.Connected)
	workertest.WaitFor(h.t, 10*time.Second, "publisher connects", h.pub.Connected)
}

// stopConsumer stops the consumer as a shutdown would, letting in-flight runs finish.
func (h *harness) stopConsumer() {
	h.stopCons()
	<-h.consDone
}

// jobOpts are the fields of a test job that tests change.
type jobOpts struct {
	typ        string
	payload    any
	cron       string
	maxRetries int32
	retryDelay time.Duration
	catchup    schedule.Catchup
	paused     bool
	// retryOn and backoff are the retry policy; empty takes the defaults.
	retryOn, backoff string
}

// insertJob stores a job; by default a ping that never fires on its own.
func (h *harness) insertJob(o jobOpts) sqlcgen.Job {
	h.t.Helper()
	if o.typ == "" {
		o.typ = "ping"
	}
	if o.cron == "" {
		o.cron = "0 0 1 1 *"
	}
	if o.retryDelay == 0 {
		o.retryDelay = 2 * time.Second
	}
	if o.catchup == "" {
		o.catchup = schedule.CatchupLatest
	}
	payload, _ := json.Marshal(o.payload)
	sched, err := schedule.Parse(o.cron, "UTC")
	if err != nil {
		h.t.Fatalf("parse %q: %v", o.cron, err)
	}
	next := sched.Next(time.Now())
	job, err := h.q.JobInsert(context.Background(), sqlcgen.JobInsertParams{
		Name: "test job", Type: o.typ, Payload: payload, Cron: o.cron, Timezone: "UTC",
		MaxRetries: o.maxRetries, RetryDelayMs: o.retryDelay.Milliseconds(), TimeoutMs: 5000,
		Catchup: o.catchup, Paused: o.paused, NextRunAt: &next, RetryOn: o.retryOn, RetryBackoff: o.backoff,
	})
	if err != nil {
		h.t.Fatalf("insert job: %v", err)
	}
	return job
}

// runNow makes a manual run of a job and publishes it.
func (h *harness) runNow(jobID int64) sqlcgen.Run {
	h.t.Helper()
	run, err := h.q.RunInsertManual(context.Background(), jobID)
	if err != nil {
		h.t.Fatalf("insert run: %v", err)
	}
	h.out.Publish(context.Background(), []runmsg.Message{{RunID: run.ID, JobID: jobID}})
	return run
}

// run reads a run.
func (h *harness) run(id int64) sqlcgen.Run {
	h.t.Helper()
	r, err := h.q.RunGet(context.Background(), id)
	if err != nil {
		h.t.Fatalf("get run %d: %v", id, err)
	}
	return r
}

// waitStatus waits until a run has the status.
func (h *harness) waitStatus(id int64, status string, within time.Duration) sqlcgen.Run {
	h.t.Helper()
	var r sqlcgen.Run
	workertest.WaitFor(h.t, within, "run "+status, func() bool { r = h.run(id); return string(r.Status) == status })
	return r
}

// recordingTarget is an HTTP server that records every request it gets, keyed by Idempotency-Key.
type recordingTarget struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string][]time.Time
	// status answers each request; nil means 200.
	status func(key string, n int) int
}

func newRecordingTarget(t *testing.T, status func(key string, n int) int) *recordingTarget {
	tg := &recordingTarget{hits: map[string][]time.Time{}, status: status}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		tg.mu.Lock()
		tg.hits[key] = append(tg.hits[key], time.Now())
		n := len(tg.hits[key])
		tg.mu.Unlock()
		code := http.StatusOK
		if tg.status != nil {
			code = tg.status(key, n)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "pong")
	}))
	t.Cleanup(tg.Close)
	return tg
}

// hitsFor returns the times of the requests made for one idempotency key.
func (tg *recordingTarget) hitsFor(key string) []time.Time {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]time.Time(nil), tg.hits[key]...)
}

// total returns the number of requests and of distinct keys.
func (tg *recordingTarget) total() (requests, keys int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, h := range tg.hits {
		requests += len(h)
	}
	return requests, len(tg.hits)
}

// setNextRun moves a job's next run to at, as if no scheduler had run since. It edits the job, as a
// person could: the scheduler itself never moves a next run back.
func (h *harness) setNextRun(j sqlcgen.Job, at time.Time) {
	h.t.Helper()
	_, err := h.q.JobUpdate(context.Background(), sqlcgen.JobUpdateParams{ID: j.ID, Name: j.Name, Type: j.Type,
		Payload: j.Payload, Cron: j.Cron, Timezone: j.Timezone, MaxRetries: j.MaxRetries, RetryDelayMs: j.RetryDelayMs,
		TimeoutMs: j.TimeoutMs, Catchup: j.Catchup, NextRunAt: &at})
	if err != nil {
		h.t.Fatalf("set the next run of job %d: %v", j.ID, err)
	}
}
