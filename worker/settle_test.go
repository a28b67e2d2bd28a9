package worker

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
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

func (tx *refusingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if strings.HasPrefix(sql, "-- name: RunComplete ") {
		tx.runs++
	}
	return tx.Tx.Exec(ctx, sql, args...)
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
	h.alerts = NewAlerter(db, h.q, h.disp, h.logger)
	var answers atomic.Int64
	h.wrap = func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, d amqp.Delivery) {
			d.Acknowledger = answerCounter{Acknowledger: d.Acknowledger, answers: &answers}
			next(ctx, d)
		}
	}
	h.startConsumer(8)
	tg := newRecordingTarget(t, nil)
	runs := make([]sqlcgen.Run, jobs)
	for i := range runs {
		runs[i] = h.runNow(h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}}).ID)
	}

	// Every consumer has executed a run and handed its result over; two are in commits held at
	// the gate, the others wait for the next batch.
	workertest.WaitFor(t, 30*time.Second, "a run executed by each consumer", func() bool {
		requests, _ := tg.total()
		return requests >= 8
	})
	close(db.gate)
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
