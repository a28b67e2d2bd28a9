package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
)

// BenchmarkLoads measures Cronflow under four loads, each against the bare pipeline (bench_bare_test.go)
// on the same machine in the same run: 10,000 and 1,000 jobs due in the same second, and 1,000 and
// 50 jobs firing every second. Cronflow is started through run as the binary would be, the runs
// are read back from its database, and its delay is from the due second to each run's
// completed_at. For the bursts, ratio is Cronflow's runs per second over the bare pipeline's; for
// the steady loads, p99-ratio is the bare pipeline's p99 over Cronflow's (above 1: Cronflow is
// faster). Run it with:
//
//	go test -run '^$' -bench Loads -benchtime 1x .
func BenchmarkLoads(b *testing.B) {
	for _, jobs := range []int{10000, 1000} {
		b.Run(fmt.Sprintf("Burst%d", jobs), func(b *testing.B) {
			for range b.N {
				bare := bareBurst(b, newTarget(b), jobs)
				cf := cronflowBurst(b, newTarget(b), jobs)
				report(b, bare, cf)
				b.ReportMetric(cf.perSec, "runs/s")
				b.ReportMetric(bare.perSec, "bare-runs/s")
				b.ReportMetric(cf.perSec/bare.perSec, "ratio")
			}
		})
	}
	for _, jobs := range []int{1000, 50} {
		b.Run(fmt.Sprintf("Steady%d", jobs), func(b *testing.B) {
			for range b.N {
				bare := bareSteady(b, newTarget(b), jobs, steadySeconds)
				cf := cronflowSteady(b, newTarget(b), jobs, steadySeconds)
				report(b, bare, cf)
				b.ReportMetric(float64(bare.p99)/float64(cf.p99), "p99-ratio")
			}
		})
	}
}

// The steady loads are measured over steadySeconds seconds, after steadyWarmUp seconds of the same load.
const (
	steadySeconds = 10
	steadyWarmUp  = 3
)

// loadFigures is what a load came to: runs per second (from the due second to the last run done)
// and the delays' percentiles.
type loadFigures struct {
	perSec   float64
	p50, p99 time.Duration
}

// figures sums up the delays of n runs.
func figures(delays []time.Duration, n int) loadFigures {
	slices.Sort(delays)
	last := delays[len(delays)-1]
	return loadFigures{perSec: float64(n) / last.Seconds(), p50: delays[len(delays)/2], p99: delays[len(delays)*99/100]}
}

// report reports both pipelines' delays.
func report(b *testing.B, bare, cf loadFigures) {
	b.ReportMetric(float64(cf.p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(cf.p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(bare.p50.Microseconds())/1000, "bare-p50-ms")
	b.ReportMetric(float64(bare.p99.Microseconds())/1000, "bare-p99-ms")
}

// newTarget is a local HTTP target that answers every request with 200, closed when the benchmark ends.
func newTarget(b *testing.B) string {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(target.Close)
	return target.URL
}

// startCronflow stores jobs copies of a job with the schedule spec against target, due first at
// due, and starts Cronflow on them; it is stopped when the benchmark ends.
func startCronflow(b *testing.B, target string, jobs int, spec string, due time.Time) *sqlcgen.Queries {
	env := benchEnv(b)
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	q := sqlcgen.New(pool)
	payload, _ := json.Marshal(map[string]string{"url": target})
	insertJobs(b, q, jobs, sqlcgen.JobInsertParams{
		Name: "load", Type: "ping", Payload: payload, Cron: spec, Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, NextRunAt: &due,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"cronflow", "serve"}, func(k string) string { return env[k] }, io.Discard)
	}()
	b.Cleanup(func() { cancel(); <-done })
	return q
}

// cronflowBurst makes jobs jobs come due in the same second and measures how Cronflow works them off.
func cronflowBurst(b *testing.B, target string, jobs int) loadFigures {
	// Every job is due at the same second, far enough ahead for the inserts and the start-up.
	due := time.Now().UTC().Truncate(time.Second).Add(time.Duration(5+jobs/500) * time.Second)
	q := startCronflow(b, target, jobs, fmt.Sprintf("%d %d %d * * *", due.Second(), due.Minute(), due.Hour()), due)
	if time.Until(due) < 2*time.Second {
		b.Fatalf("inserting the jobs took too long; the due second is too close")
	}
	deadline := due.Add(2 * time.Minute)
	for completedRuns(b, q) < int64(jobs) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d runs completed two minutes after they were due", completedRuns(b, q), jobs)
		}
		// Counting is light: the measurement should not slow down what it measures.
		time.Sleep(200 * time.Millisecond)
	}
	delays, done := windowDelays(b, q, jobs, due, due.Add(time.Second))
	if done != jobs {
		b.Fatalf("%d runs of the burst completed, want %d", done, jobs)
	}
	return figures(delays, jobs)
}

// cronflowSteady makes jobs jobs fire every second and measures the runs of seconds seconds, after
// a warm-up.
func cronflowSteady(b *testing.B, target string, jobs, seconds int) loadFigures {
	q := startCronflow(b, target, jobs, "* * * * * *", time.Now().UTC())
	// The warm-up starts with the first completed run: until then Cronflow is starting and
	// electing its leader.
	for deadline := time.Now().Add(time.Minute); completedRuns(b, q) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("no run completed within a minute of starting")
		}
	}
	from := time.Now().UTC().Truncate(time.Second).Add(steadyWarmUp * time.Second)
	until := from.Add(time.Duration(seconds) * time.Second)
	time.Sleep(time.Until(until.Add(time.Second)))
	want := jobs * seconds
	for deadline := until.Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		delays, done := windowDelays(b, q, jobs*(seconds+steadyWarmUp+40), from, until)
		if done == want {
			return figures(delays, want)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of the %d runs due from %s to %s completed", done, want, from, until)
		}
	}
}

// completedRuns counts the completed runs.
func completedRuns(b *testing.B, q *sqlcgen.Queries) int64 {
	counts, err := q.RunCountByStatus(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range counts {
		if c.Status == "completed" {
			return c.Runs
		}
	}
	return 0
}

// windowDelays reads the newest maxRows runs and returns, of those scheduled from from until until,
// the delays from scheduled_at to completed_at of the completed ones, and how many there were.
// A run that took more than one attempt fails the benchmark: the target never fails.
func windowDelays(b *testing.B, q *sqlcgen.Queries, maxRows int, from, until time.Time) ([]time.Duration, int) {
	runs, err := q.RunList(context.Background(), sqlcgen.RunListParams{BeforeID: math.MaxInt64, MaxRows: int32(maxRows)})
	if err != nil {
		b.Fatal(err)
	}
	var delays []time.Duration
	for _, r := range runs {
		if r.ScheduledAt.Before(from) || !r.ScheduledAt.Before(until) || r.CompletedAt == nil {
			continue
		}
		if r.Attempts != 1 {
			b.Fatalf("run %d took %d attempts", r.ID, r.Attempts)
		}
		delays = append(delays, r.CompletedAt.Sub(r.ScheduledAt))
	}
	return delays, len(delays)
}

// benchEnv is the environment of the benchmark's app: testEnv's, with the defaults of a production
// install (16 consumers, info logs). BENCH_CONSUMERS sets another number of consumers.
func benchEnv(b *testing.B) map[string]string {
	env := testEnvTB(b)
	env["LOG_LEVEL"] = "info"
	env["CONSUMERS"] = ""
	if c := os.Getenv("BENCH_CONSUMERS"); c != "" {
		env["CONSUMERS"] = c
	}
	return env
}

// insertJobs stores n copies of a job, several at a time.
func insertJobs(b *testing.B, q *sqlcgen.Queries, n int, p sqlcgen.JobInsertParams) {
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
