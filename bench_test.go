package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

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

// benchApp runs Cronflow through run, as the binary would be, on a free port of 127.0.0.1, until
// the benchmark ends, and answers its URL once it is ready.
func benchApp(b *testing.B, env map[string]string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	env["DASHBOARD_PORT"] = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	url := "http://" + l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"cronflow", "serve"}, func(k string) string { return env[k] }, io.Discard)
	}()
	b.Cleanup(func() { cancel(); <-done })
	workertest.WaitFor(b, 30*time.Second, "the app is ready", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return url
}

// BenchmarkImport imports 10,000 jobs in one POST /api/import into Cronflow started as the binary
// would be, with BENCH_EXISTING_JOBS jobs there before (default none), and reports how long the
// import took and how long after their first slot every imported job had its run. Run it with:
//
//	go test -run '^$' -bench Import -benchtime 3x .
func BenchmarkImport(b *testing.B) {
	const jobs = 10000
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer target.Close()
	env := benchEnv(b, loadSetup{})
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if n, _ := strconv.Atoi(os.Getenv("BENCH_EXISTING_JOBS")); n > 0 {
		next := time.Now().Add(24 * time.Hour)
		payload, _ := json.Marshal(map[string]string{"url": target.URL})
		insertJobs(b, sqlcgen.New(pool), n, sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: "existing", Type: "ping", Payload: payload,
			Cron: "0 0 1 1 *", Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, NextRunAt: &next})
	}
	url := benchApp(b, env)
	var imported, fired time.Duration
	b.ResetTimer()
	for i := range b.N {
		slot := time.Now().UTC().Truncate(time.Second).Add(20 * time.Second)
		list := make([]map[string]any, jobs)
		for k := range list {
			list[k] = map[string]any{"name": fmt.Sprintf("import %d/%05d", i, k), "type": "ping",
				"cron": fmt.Sprintf("%d %d %d * * *", slot.Second(), slot.Minute(), slot.Hour()), "payload": map[string]any{"url": target.URL}}
		}
		doc, _ := json.Marshal(map[string]any{"version": 1, "jobs": list})
		start := time.Now()
		resp, err := http.Post(url+"/api/import", "application/json", bytes.NewReader(doc))
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("import: %v %v", resp, err)
		}
		resp.Body.Close()
		imported += time.Since(start)
		workertest.WaitFor(b, 2*time.Minute, "a run of every imported job", func() bool {
			var n int
			err := pool.QueryRow(context.Background(), "SELECT count(*) FROM runs WHERE scheduled_at = $1", slot).Scan(&n)
			return err == nil && n == jobs
		})
		fired += time.Since(slot)
	}
	b.StopTimer()
	b.ReportMetric(float64(imported.Milliseconds())/float64(b.N), "import-ms")
	b.ReportMetric(float64(fired.Milliseconds())/float64(b.N), "all-fired-ms")
}
