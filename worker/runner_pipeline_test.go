package worker

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/workertest"
)

// blockingTarget answers every request once it is released, and counts the requests it holds.
type blockingTarget struct {
	*httptest.Server
	release chan struct{}
	held    atomic.Int64
	// Release lets every request held and to come be answered.
	Release func()
}

func newBlockingTarget(t *testing.T) *blockingTarget {
	tg := &blockingTarget{release: make(chan struct{})}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.held.Add(1)
		<-tg.release
		_, _ = io.WriteString(w, "late")
	}))
	free := sync.OnceFunc(func() { close(tg.release) })
	t.Cleanup(func() { free(); tg.Close() })
	tg.Release = free
	return tg
}

// countStatus counts the runs of jobs with the status.
func (h *harness) countStatus(status string, runs ...sqlcgen.Run) int {
	h.t.Helper()
	n := 0
	for _, r := range runs {
		if string(h.run(r.ID).Status) == status {
			n++
		}
	}
	return n
}

func TestSlowTargetsHoldTheSlotsButNotThePipeline(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	h.stopConsumer()
	const prefetch = 8
	h.prefetch = prefetch
	h.startConsumer(2)
	slow := newBlockingTarget(t)
	fast := newRecordingTarget(t, nil)
	slowJob := h.insertJob(jobOpts{payload: map[string]string{"url": slow.URL}})
	fastJob := h.insertJob(jobOpts{payload: map[string]string{"url": fast.URL}})

	slowRuns := []sqlcgen.Run{h.runNow(slowJob.ID), h.runNow(slowJob.ID)}
	workertest.WaitFor(t, 20*time.Second, "both slots held by the slow target", func() bool { return slow.held.Load() == 2 })
	var fastRuns []sqlcgen.Run
	for range prefetch + 4 {
		fastRuns = append(fastRuns, h.runNow(fastJob.ID))
	}
	// The deliveries beside the slow ones are claimed, up to the prefetch, and wait for a slot.
	workertest.WaitFor(t, 20*time.Second, "the prefetch filled with claimed runs", func() bool {
		return h.countStatus("running", fastRuns...) == prefetch-2 && h.consumer.InFlight() == prefetch
	})
	if requests, _ := fast.total(); requests != 0 {
		t.Errorf("the fast target got %d requests while both slots were held, want none", requests)
	}
	if n := h.countStatus("queued", fastRuns...); n != len(fastRuns)-(prefetch-2) {
		t.Errorf("%d runs still queued beyond the prefetch, want %d", n, len(fastRuns)-(prefetch-2))
	}

	slow.Release()
	for _, r := range append(slowRuns, fastRuns...) {
		h.waitStatus(r.ID, "completed", 30*time.Second)
	}
	if requests, keys := fast.total(); requests != len(fastRuns) || keys != len(fastRuns) {
		t.Errorf("fast target got %d requests for %d runs, want one each of %d", requests, keys, len(fastRuns))
	}
}

func TestRunWaitingForItsDueInstantHoldsNoSlot(t *testing.T) {
	t.Parallel()
	h := setup(t, 1)
	h.stopConsumer()
	h.maxEarly = time.Minute
	h.prefetch = 4
	h.startConsumer(1)
	later := newRecordingTarget(t, nil)
	now := newRecordingTarget(t, nil)
	laterJob := h.insertJob(jobOpts{payload: map[string]string{"url": later.URL}})
	nowJob := h.insertJob(jobOpts{payload: map[string]string{"url": now.URL}})

	due := time.Now().Add(15 * time.Second).Truncate(time.Millisecond)
	made, err := h.q.RunInsertBackfill(context.Background(), sqlcgen.RunInsertBackfillParams{JobID: laterJob.ID, Slots: []time.Time{due}})
	if err != nil || len(made) != 1 {
		t.Fatalf("insert a run due at %s: %v", due, err)
	}
	h.out.Publish(context.Background(), []runmsg.Message{{RunID: made[0].ID, JobID: laterJob.ID}})
	h.waitStatus(made[0].ID, "running", 10*time.Second)

	// The only slot is free while the claimed run waits for its instant: a run due now goes first.
	first := h.runNow(nowJob.ID)
	h.waitStatus(first.ID, "completed", 10*time.Second)
	if hits := later.hitsFor(idempotencyKey(laterJob.ID, made[0].ID)); len(hits) != 0 {
		t.Fatalf("the run due at %s was executed at %s, before the run due now", due, hits[0])
	}
	h.waitStatus(made[0].ID, "completed", 20*time.Second)
	if hits := later.hitsFor(idempotencyKey(laterJob.ID, made[0].ID)); len(hits) != 1 || hits[0].Before(due) {
		t.Errorf("the run due at %s was executed at %v, want once, not before it", due, hits)
	}
}

// checkingAcker records every ack of a run delivery whose result was not committed yet.
type checkingAcker struct {
	amqp.Acknowledger
	check func() error
	bad   *atomic.Int64
	acks  *atomic.Int64
}

func (a checkingAcker) Ack(tag uint64, multiple bool) error {
	if err := a.check(); err != nil {
		a.bad.Add(1)
	}
	a.acks.Add(1)
	return a.Acknowledger.Ack(tag, multiple)
}

func TestAckOnlyAfterTheResultIsCommittedWhenTheDatabaseConnectionDies(t *testing.T) {
	t.Parallel()
	const runs = 12
	h := setup(t, 4)
	h.stopConsumer()
	admin, err := pgx.Connect(context.Background(), h.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	var adminMu sync.Mutex
	adminScan := func(dest any, sql string, args ...any) error {
		adminMu.Lock()
		defer adminMu.Unlock()
		return admin.QueryRow(context.Background(), sql, args...).Scan(dest)
	}
	var bad, acks atomic.Int64
	h.wrap = func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, d amqp.Delivery) {
			m, err := runmsg.Decode(d.Body)
			if err == nil {
				d.Acknowledger = checkingAcker{Acknowledger: d.Acknowledger, bad: &bad, acks: &acks, check: func() error {
					var status string
					if err := adminScan(&status, `SELECT status FROM runs WHERE id = $1`, m.RunID); err != nil {
						return err
					}
					if status != "completed" {
						return pgx.ErrNoRows
					}
					return nil
				}}
			}
			next(ctx, d)
		}
	}
	h.startConsumer(4)
	// Between executing a run and recording it, the target ends every database session of the
	// consumers: the record in flight fails, and is written again on a new connection.
	var killed atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int64
		_ = adminScan(&n, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`)
		killed.Add(n)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(target.Close)
	job := h.insertJob(jobOpts{payload: map[string]string{"url": target.URL}})
	var msgs []runmsg.Message
	for range runs {
		run, err := h.q.RunInsertManual(context.Background(), job.ID)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, runmsg.Message{RunID: run.ID, JobID: job.ID})
	}
	h.out.Publish(context.Background(), msgs)
	// Read through the test's own session, which the target spares.
	workertest.WaitFor(t, 60*time.Second, "every run completed", func() bool {
		var n int
		_ = adminScan(&n, `SELECT count(*) FROM runs WHERE job_id = $1 AND status = 'completed'`, job.ID)
		return n == runs
	})
	workertest.WaitFor(t, 20*time.Second, "every delivery acked", func() bool { return acks.Load() >= runs })
	if killed.Load() == 0 {
		t.Error("no database session was ended: the test tested nothing")
	}
	if n := bad.Load(); n != 0 {
		t.Errorf("%d deliveries were acked before their result was committed", n)
	}
}
