package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/workertest"
)

// refusingDB is the test's real database, except that while refuse is set every transaction's
// commit fails: the transaction is rolled back and the commit returns an error, as when the
// connection drops at the commit.
type refusingDB struct {
	*pgxpool.Pool
	refuse atomic.Bool
	// gate holds refused commits until it is closed, so that the results arriving meanwhile
	// gather into one batch.
	gate chan struct{}
	mu   sync.Mutex
	// refused counts refused commits; largest is the most runs recorded in one of them.
	refused, largest int
}

func (db *refusingDB) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &refusingTx{Tx: tx, db: db}, nil
}

type refusingTx struct {
	pgx.Tx
	db   *refusingDB
	runs int
}

func (tx *refusingTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if strings.HasPrefix(sql, "-- name: RunRecordResults ") {
		tx.runs += len(args[0].([]int64))
	}
	return tx.Tx.Query(ctx, sql, args...)
}

func (tx *refusingTx) Commit(ctx context.Context) error {
	if !tx.db.refuse.Load() {
		return tx.Tx.Commit(ctx)
	}
	<-tx.db.gate
	_ = tx.Tx.Rollback(ctx)
	tx.db.mu.Lock()
	tx.db.refused++
	tx.db.largest = max(tx.db.largest, tx.runs)
	tx.db.mu.Unlock()
	return errors.New("connection lost at commit")
}

func (db *refusingDB) stats() (refused, largest int) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.refused, db.largest
}

// answerCounter counts the deliveries acked or nacked through it.
type answerCounter struct {
	amqp.Acknowledger
	answers *atomic.Int64
}

func (a answerCounter) Ack(tag uint64, multiple bool) error {
	a.answers.Add(1)
	return a.Acknowledger.Ack(tag, multiple)
}

func (a answerCounter) Nack(tag uint64, multiple, requeue bool) error {
	a.answers.Add(1)
	return a.Acknowledger.Nack(tag, multiple, requeue)
}

func TestBatchWhoseCommitFailsAcksNothingAndLosesNoRun(t *testing.T) {
	t.Parallel()
	const jobs = 24
	h := setup(t, 8)
	h.stopConsumer()
	db := &refusingDB{Pool: h.pool, gate: make(chan struct{})}
	db.refuse.Store(true)
	h.alerts = NewAlerter(db, h.q, h.out, h.logger)
	var answers atomic.Int64
	h.wrap = func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, d amqp.Delivery) {
			d.Acknowledger = answerCounter{Acknowledger: d.Acknowledger, answers: &answers}
			next(ctx, d)
		}
	}
	h.startConsumer(8)
	// The gate opens at the latest when the test ends, before the consumer is stopped.
	openGate := sync.OnceFunc(func() { close(db.gate) })
	t.Cleanup(openGate)
	tg := newRecordingTarget(t, nil)
	runs := make([]sqlcgen.Run, jobs)
	msgs := make([]runmsg.Message, jobs)
	for i := range runs {
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
		run, err := h.q.RunInsertManual(context.Background(), job.ID)
		if err != nil {
			t.Fatal(err)
		}
		runs[i], msgs[i] = run, runmsg.Message{RunID: run.ID, JobID: job.ID}
	}
	// Published without being marked published: marking them would wait for the rows that the
	// held commits lock, and claims would wait behind it.
	if published, err := h.pub.PublishRuns(context.Background(), msgs); err != nil || len(published) != jobs {
		t.Fatalf("published %d of %d runs: %v", len(published), jobs, err)
	}

	// Every consumer has executed a run and handed its result over; two are in commits held at
	// the gate, the others wait for the next batch.
	workertest.WaitFor(t, 30*time.Second, "a run executed by each consumer", func() bool {
		requests, _ := tg.total()
		return requests >= 8
	})
	openGate()
	workertest.WaitFor(t, 30*time.Second, "refused commits of batches of several runs", func() bool {
		refused, largest := db.stats()
		return refused >= 3 && largest >= 2
	})
	if n := answers.Load(); n != 0 {
		t.Errorf("%d messages were answered while no result could be committed, want none", n)
	}
	if n := h.completedRuns(); n != 0 {
		t.Errorf("%d runs completed while no commit succeeded, want none", n)
	}

	db.refuse.Store(false)
	workertest.WaitFor(t, 60*time.Second, "every run completed", func() bool { return h.completedRuns() == jobs })
	workertest.WaitFor(t, 10*time.Second, "every message answered", func() bool { return answers.Load() == jobs })
	if requests, keys := tg.total(); requests != jobs || keys != jobs {
		t.Errorf("target got %d requests for %d runs, want one for each of %d", requests, keys, jobs)
	}
	for _, r := range runs {
		attempts, err := h.q.RunAttemptList(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 1 || attempts[0].Outcome != "completed" {
			t.Errorf("run %d has attempts %+v, want one completed", r.ID, attempts)
		}
		stats, err := h.q.JobStatsSummary(context.Background(), sqlcgen.JobStatsSummaryParams{JobID: r.JobID,
			DayStart: time.Now().Add(-24 * time.Hour), WeekStart: time.Now().Add(-7 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if stats.CompletedDay != 1 || stats.FailedDay != 0 {
			t.Errorf("job %d counted %d completed and %d failed, want 1 and 0", r.JobID, stats.CompletedDay, stats.FailedDay)
		}
	}
}

func TestStepOfABatchTakesEachJobsRunsInOrder(t *testing.T) {
	t.Parallel()
	tx := dbtest.Tx(t)
	q := sqlcgen.New(tx)
	ctx := context.Background()
	ch, err := q.ChannelInsert(ctx, sqlcgen.ChannelInsertParams{Name: "hook", Type: "webhook",
		Config: json.RawMessage(`{"url": "https://hooks.example.com/x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	job := dbtest.InsertJob(t, q, dbtest.Job("alerting", "ping", `{"url": "https://example.com/"}`, "0 0 1 1 *"))
	if _, err := q.JobUpdate(ctx, sqlcgen.JobUpdateParams{Catchup: job.Catchup, RetryOn: job.RetryOn, RetryBackoff: job.RetryBackoff, ID: job.ID, Name: job.Name, Type: job.Type, Payload: job.Payload,
		Cron: job.Cron, Timezone: job.Timezone, RetryDelayMs: job.RetryDelayMs, TimeoutMs: job.TimeoutMs,
		NextRunAt: job.NextRunAt, AlertChannels: []int64{ch.ID}, AlertAfter: pgInt4(2)}); err != nil {
		t.Fatal(err)
	}
	quiet := dbtest.InsertJob(t, q, dbtest.Job("quiet", "ping", `{"url": "https://example.com/"}`, "0 0 1 1 *"))
	var runs []Settled
	var ids []int64
	for _, st := range []runstatus.Status{runstatus.PermanentlyFailed, runstatus.PermanentlyFailed, runstatus.Completed, runstatus.PermanentlyFailed} {
		r := dbtest.InsertRun(t, q, job.ID, st, "", "")
		runs = append(runs, Settled{JobID: job.ID, RunID: r.ID, JobName: job.Name, Status: st, ScheduledAt: r.ScheduledAt})
		ids = append(ids, r.ID)
	}
	r := dbtest.InsertRun(t, q, quiet.ID, runstatus.Completed, "", "")
	runs = append(runs, Settled{JobID: quiet.ID, RunID: r.ID, JobName: quiet.Name, Status: runstatus.Completed})
	// Handed over out of order, as a batch gathers them.
	slices.Reverse(runs)

	a := NewAlerter(nil, q, nil, workertest.Logger(t))
	made, err := a.Step(ctx, q, runs...)
	if err != nil {
		t.Fatal(err)
	}
	notices, err := q.NoticeListByJob(ctx, &job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, n := range notices {
		events = append(events, fmt.Sprintf("%s after run %d", n.Event, *n.RunID))
	}
	want := []string{fmt.Sprintf("%s after run %d", notify.Failing, ids[1]), fmt.Sprintf("%s after run %d", notify.Recovered, ids[2])}
	if !slices.Equal(events, want) || len(made) != len(want) {
		t.Errorf("notices %q (%d made), want %q", events, len(made), want)
	}
	state, err := q.JobAlertStateGet(ctx, job.ID)
	if err != nil || state.ConsecutiveFailures != 1 || state.Failing {
		t.Errorf("alert state %+v (%v), want one failure in a row and not failing", state, err)
	}
	if _, err := q.JobAlertStateGet(ctx, quiet.ID); err == nil {
		t.Error("a job that never failed has an alert state")
	}
	for _, c := range []struct {
		job               int64
		completed, failed int64
	}{{job.ID, 1, 3}, {quiet.ID, 1, 0}} {
		stats, err := q.JobStatsSummary(ctx, sqlcgen.JobStatsSummaryParams{JobID: c.job,
			DayStart: time.Now().Add(-time.Hour), WeekStart: time.Now().Add(-time.Hour)})
		if err != nil || stats.CompletedDay != c.completed || stats.FailedDay != c.failed {
			t.Errorf("job %d counted %+v (%v), want %d completed and %d failed", c.job, stats, err, c.completed, c.failed)
		}
	}
}
