package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// insertJobs stores n copies of a job, several at a time.
func insertJobs(b testing.TB, q *sqlcgen.Queries, n int, p sqlcgen.JobInsertParams) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if _, err := q.JobInsert(context.Background(), p); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// fleet is a serve and a worker replica of Cronflow started through run, sharing a database and
// broker names, and a target that counts the requests of each run by its Idempotency-Key.
type fleet struct {
	tb     testing.TB
	env    map[string]string
	pool   *pgxpool.Pool
	q      *sqlcgen.Queries
	target *countingTarget
	apps   []*testApp
}

// newFleet prepares the replicas' environment, env (testEnv's, with the test's broker and
// database); start starts them. q reaches the database at dbURL directly, whatever env's
// DATABASE_URL does.
func newFleet(tb testing.TB, env map[string]string, dbURL string) *fleet {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return &fleet{tb: tb, env: env, pool: pool, q: sqlcgen.New(pool), target: newCountingTarget(tb)}
}

// start starts a serve and a worker replica and returns once both are ready.
func (f *fleet) start() *fleet {
	f.tb.Helper()
	f.apps = []*testApp{startApp(f.tb, "serve", f.env), startApp(f.tb, "worker", f.env)}
	return f
}

// insertJobs stores n ping jobs on spec, which the scheduler takes up at once.
func (f *fleet) insertJobs(n int, spec string) {
	f.tb.Helper()
	f.insertJobsCatchup(n, spec, schedule.CatchupLatest)
}

// insertJobsCatchup is insertJobs with the jobs' catch-up policy.
func (f *fleet) insertJobsCatchup(n int, spec string, catchup schedule.Catchup) {
	f.tb.Helper()
	payload, _ := json.Marshal(map[string]string{"url": f.target.URL})
	sched, err := schedule.Parse(spec, "UTC")
	if err != nil {
		f.tb.Fatal(err)
	}
	next := sched.Next(time.Now())
	insertJobs(f.tb, f.q, n, sqlcgen.JobInsertParams{
		Name: "fault", Type: "ping", Payload: payload, Cron: spec, Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 1000, TimeoutMs: 5000, Catchup: catchup, NextRunAt: &next,
	})
}

// allRuns reads every run.
func (f *fleet) allRuns() []sqlcgen.Run {
	f.tb.Helper()
	runs, err := f.q.RunList(context.Background(), sqlcgen.RunListParams{BeforeID: math.MaxInt64, MaxRows: math.MaxInt32})
	if err != nil {
		f.tb.Fatal(err)
	}
	return runs
}

// waitSettled waits until every run due up to until is completed, at most within.
func (f *fleet) waitSettled(until time.Time, within time.Duration) {
	f.tb.Helper()
	workertest.WaitFor(f.tb, within, "every run due by "+until.Format(time.TimeOnly)+" completed", func() bool {
		for _, r := range f.allRuns() {
			if !r.ScheduledAt.After(until) && r.Status != "completed" {
				return false
			}
		}
		return true
	})
}

// steadyFrom waits until every job has completed a run and returns the first whole second after,
// from which on every slot must have its run.
func (f *fleet) steadyFrom(jobs int) time.Time {
	f.tb.Helper()
	workertest.WaitFor(f.tb, 30*time.Second, "every job has a completed run", func() bool {
		done := map[int64]bool{}
		for _, r := range f.allRuns() {
			if r.Status == "completed" {
				done[r.JobID] = true
			}
		}
		return len(done) == jobs
	})
	return time.Now().Truncate(time.Second).Add(time.Second)
}

// slotReport is what a fault did to the runs of every-second jobs between two slots.
type slotReport struct {
	slots, missing, doubled, unfinished, reexecuted int
	// killedWorkLeader says whether the killed broker node led the work queue.
	killedWorkLeader bool
	// delays are from each slot to its run's completion, for the slots in the measured window.
	delays []time.Duration
}

// checkSlots checks every slot of every job from from to until: one run each, completed, executed
// once. Slots in [measureFrom, measureTo] have their delay measured.
func (f *fleet) checkSlots(from, until, measureFrom, measureTo time.Time) slotReport {
	f.tb.Helper()
	var rep slotReport
	bySlot := map[int64]map[time.Time][]sqlcgen.Run{}
	for _, r := range f.allRuns() {
		if r.ScheduledAt.Before(from) || r.ScheduledAt.After(until) {
			continue
		}
		if bySlot[r.JobID] == nil {
			bySlot[r.JobID] = map[time.Time][]sqlcgen.Run{}
		}
		bySlot[r.JobID][r.ScheduledAt] = append(bySlot[r.JobID][r.ScheduledAt], r)
	}
	jobs, err := f.q.JobCount(context.Background())
	if err != nil {
		f.tb.Fatal(err)
	}
	if int64(len(bySlot)) != jobs {
		f.tb.Errorf("%d of %d jobs have runs between %s and %s", len(bySlot), jobs, from.Format(time.TimeOnly), until.Format(time.TimeOnly))
	}
	for jobID, slots := range bySlot {
		for s := from; !s.After(until); s = s.Add(time.Second) {
			rep.slots++
			runs := slots[s]
			switch {
			case len(runs) == 0:
				rep.missing++
				continue
			case len(runs) > 1:
				rep.doubled++
			}
			r := runs[0]
			if r.Status != "completed" || r.CompletedAt == nil {
				rep.unfinished++
				continue
			}
			if hits := f.target.hits(fmt.Sprintf("cronflow-%d-%d", jobID, r.ID)); hits != 1 {
				rep.reexecuted++
			}
			if !s.Before(measureFrom) && !s.After(measureTo) {
				rep.delays = append(rep.delays, r.CompletedAt.Sub(s))
			}
		}
	}
	slices.Sort(rep.delays)
	return rep
}

// quantile is the q-quantile of sorted delays.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// waitUntil paces a scenario: it returns at t.
func waitUntil(t time.Time) { time.Sleep(time.Until(t)) }

// wantEveryRunOnce fails the test if a slot lacks its run, has two, is not completed or was
// executed more than once.
func wantEveryRunOnce(t *testing.T, rep slotReport) {
	t.Helper()
	if rep.missing+rep.doubled+rep.unfinished+rep.reexecuted > 0 || rep.slots == 0 {
		t.Errorf("of %d slots: %d without a run, %d with two, %d not completed, %d executed more than once",
			rep.slots, rep.missing, rep.doubled, rep.unfinished, rep.reexecuted)
	}
	t.Logf("%d slots; delay from slot to completed p50 %s, p99 %s, max %s", rep.slots,
		quantile(rep.delays, 0.5), quantile(rep.delays, 0.99), quantile(rep.delays, 1))
}
