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
	"github.com/cronflow/cronflow/worker/schedule"
)

// BenchmarkBurst makes 10,000 jobs come due in the same second, against a local HTTP target, with
// Cronflow started through run as the binary would be. It reports how fast the burst was worked
// off and the delay from the due second to each run's completion. Run it with:
//
//	go test -run '^$' -bench Burst -benchtime 1x .
func BenchmarkBurst(b *testing.B) {
	const jobs = 10000
	for range b.N {
		burst(b, jobs)
	}
}

func burst(b *testing.B, jobs int) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer target.Close()
	env := benchEnv(b)
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	q := sqlcgen.New(pool)

	// Every job is due at the same second, far enough ahead for the inserts and the start-up.
	due := time.Now().UTC().Truncate(time.Second).Add(25 * time.Second)
	spec := fmt.Sprintf("%d %d %d * * *", due.Second(), due.Minute(), due.Hour())
	payload, _ := json.Marshal(map[string]string{"url": target.URL})
	insertJobs(b, q, jobs, sqlcgen.JobInsertParams{
		Name: "burst", Type: "ping", Payload: payload, Cron: spec, Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, Catchup: schedule.CatchupLatest, NextRunAt: &due,
	})
	if time.Until(due) < 5*time.Second {
		b.Fatalf("inserting the jobs took too long; the due second is too close")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"cronflow", "serve"}, func(k string) string { return env[k] }, io.Discard)
	}()
	defer func() { cancel(); <-done }()

	b.ResetTimer()
	deadline := due.Add(2 * time.Minute)
	for {
		// Counting is light: the measurement should not slow down what it measures.
		counts, err := q.RunCountByStatus(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		completed := int64(0)
		for _, c := range counts {
			if c.Status == "completed" {
				completed = c.Runs
			}
		}
		if completed == int64(jobs) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d runs completed two minutes after they were due", completed, jobs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.StopTimer()
	runs, err := q.RunList(context.Background(), sqlcgen.RunListParams{BeforeID: math.MaxInt64, MaxRows: int32(jobs) + 1})
	if err != nil || len(runs) != jobs {
		b.Fatalf("%d runs, %v; want %d", len(runs), err, jobs)
	}

	delays := make([]time.Duration, 0, len(runs))
	var lastPublished time.Duration
	for _, r := range runs {
		if r.PublishedAt != nil {
			lastPublished = max(lastPublished, r.PublishedAt.Sub(due))
		}
		if !r.ScheduledAt.Equal(due) || r.Attempts != 1 {
			b.Fatalf("run %d: scheduled_at %s, attempts %d", r.ID, r.ScheduledAt, r.Attempts)
		}
		delays = append(delays, r.CompletedAt.Sub(due))
	}
	slices.Sort(delays)
	last := delays[len(delays)-1]
	b.ReportMetric(float64(jobs)/last.Seconds(), "runs/s")
	b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(delays[len(delays)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(last.Milliseconds()), "last-ms")
	b.ReportMetric(float64(lastPublished.Milliseconds()), "published-ms")
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

// reportSlots reports what a fault did to the runs, and the delays from slot to completed.
func reportSlots(b *testing.B, rep slotReport) {
	b.ReportMetric(float64(rep.slots), "slots")
	b.ReportMetric(float64(rep.missing), "missing")
	b.ReportMetric(float64(rep.doubled), "doubled")
	b.ReportMetric(float64(rep.unfinished), "unfinished")
	b.ReportMetric(float64(rep.reexecuted), "reexecuted")
	b.ReportMetric(float64(quantile(rep.delays, 0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(quantile(rep.delays, 0.99).Milliseconds()), "p99-ms")
	b.ReportMetric(float64(quantile(rep.delays, 1).Milliseconds()), "max-ms")
	led := 0.0
	if rep.killedWorkLeader {
		led = 1
	}
	b.ReportMetric(led, "killed-work-queue-leader")
}

// BenchmarkClusterNodeCrash runs 50 jobs every second on the three-node cluster (a serve and a
// worker replica given all three nodes) and kills the node holding most of their connections for
// 20 s. It reports every slot's fate, and the delays from slot to completed of the runs due from
// 5 s after the crash until the restart. It needs the cluster (CRONFLOW_TEST_CLUSTER=1):
//
//	CRONFLOW_TEST_CLUSTER=1 go test -run '^$' -bench ClusterNodeCrash -benchtime 1x .
func BenchmarkClusterNodeCrash(b *testing.B) {
	for range b.N {
		reportSlots(b, nodeCrashScenario(b, 50, 20*time.Second))
	}
}

// BenchmarkClusterBurstCrash makes 3,000 runs due in the same second on the cluster and kills the
// busiest node 200 ms after that second, leaving it down. max-ms is the delay of the last run.
//
//	CRONFLOW_TEST_CLUSTER=1 go test -run '^$' -bench ClusterBurstCrash -benchtime 1x .
func BenchmarkClusterBurstCrash(b *testing.B) {
	for range b.N {
		reportSlots(b, burstScenario(b, 3000))
	}
}

// BenchmarkDatabaseOutage runs 50 jobs every second and takes PostgreSQL away for 8 s. The delays
// are those of the slots due during the outage.
//
//	go test -run '^$' -bench DatabaseOutage -benchtime 1x .
func BenchmarkDatabaseOutage(b *testing.B) {
	for range b.N {
		reportSlots(b, databaseOutageScenario(b, 50, 8*time.Second))
	}
}
