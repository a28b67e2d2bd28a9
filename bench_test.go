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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// BenchmarkLoads measures Cronflow under four loads, each against the bare pipeline (bench_bare_test.go)
// on the same machine in the same run: 10,000 and 1,000 jobs due in the same second, and 1,000 and
// 50 jobs firing every second. Cronflow is started through run as the binary would be and measured
// from outside: the jobs are created through its API, the runs are read back through it, and its
// delay is from the due second to each run's completed_at. For the bursts, ratio is Cronflow's runs per second over the bare pipeline's; for
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

// startCronflow starts Cronflow, as the binary would be, and creates through its API (one POST
// /api/import) jobs copies of a ping job against target with the schedule spec. It answers
// Cronflow's URL; Cronflow is stopped when the benchmark ends.
func startCronflow(b *testing.B, target string, jobs int, spec string) string {
	url := benchApp(b, benchEnv(b))
	list := make([]map[string]any, jobs)
	for i := range list {
		list[i] = map[string]any{"name": fmt.Sprintf("load %05d", i), "type": "ping", "cron": spec,
			"payload": map[string]any{"url": target}}
	}
	doc, _ := json.Marshal(map[string]any{"version": 1, "jobs": list})
	resp, err := http.Post(url+"/api/import", "application/json", bytes.NewReader(doc))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		b.Fatalf("import %d jobs: %s %s", jobs, resp.Status, body)
	}
	return url
}

// cronflowBurst makes jobs jobs come due in the same second and measures how Cronflow works them off.
func cronflowBurst(b *testing.B, target string, jobs int) loadFigures {
	// Every job is due at the same second, far enough ahead for the start-up and the import.
	due := time.Now().UTC().Truncate(time.Second).Add(time.Duration(8+jobs/1000) * time.Second)
	url := startCronflow(b, target, jobs, fmt.Sprintf("%d %d %d * * *", due.Second(), due.Minute(), due.Hour()))
	if time.Until(due) < 2*time.Second {
		b.Fatalf("starting and importing the jobs took too long; the due second is too close")
	}
	deadline := due.Add(2 * time.Minute)
	for completedRuns(b, url) < int64(jobs) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d runs completed two minutes after they were due", completedRuns(b, url), jobs)
		}
		// Counting is light: the measurement should not slow down what it measures.
		time.Sleep(200 * time.Millisecond)
	}
	delays, done := windowDelays(b, url, due, due.Add(time.Second))
	if done != jobs {
		b.Fatalf("%d runs of the burst completed, want %d", done, jobs)
	}
	return figures(delays, jobs)
}

// cronflowSteady makes jobs jobs fire every second and measures the runs of seconds seconds, after
// a warm-up.
func cronflowSteady(b *testing.B, target string, jobs, seconds int) loadFigures {
	url := startCronflow(b, target, jobs, "* * * * * *")
	// The warm-up starts with the first completed run: until then Cronflow is starting and
	// electing its leader.
	for deadline := time.Now().Add(time.Minute); completedRuns(b, url) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("no run completed within a minute of starting")
		}
	}
	from := time.Now().UTC().Truncate(time.Second).Add(steadyWarmUp * time.Second)
	until := from.Add(time.Duration(seconds) * time.Second)
	time.Sleep(time.Until(until.Add(time.Second)))
	want := jobs * seconds
	for deadline := until.Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		delays, done := windowDelays(b, url, from, until)
		if done == want {
			return figures(delays, want)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of the %d runs due from %s to %s completed", done, want, from, until)
		}
	}
}

// completedRuns counts the completed runs, as GET /api/stats tells.
func completedRuns(b *testing.B, url string) int64 {
	var stats struct {
		Runs map[string]int64 `json:"runs"`
	}
	getJSON(b, url+"/api/stats", &stats)
	return stats.Runs["completed"]
}

// windowDelays reads the runs back through GET /api/runs, newest first, down to the first one
// scheduled before from, and returns, of those scheduled from from until until, the delays from
// scheduled_at to completed_at of the completed ones, and how many there were. A run that took more
// than one attempt fails the benchmark: the target never fails.
func windowDelays(b *testing.B, url string, from, until time.Time) ([]time.Duration, int) {
	var delays []time.Duration
	page := url + "/api/runs?limit=500"
	for {
		var runs struct {
			Runs []struct {
				ID          int64      `json:"id"`
				Attempts    int        `json:"attempts"`
				ScheduledAt time.Time  `json:"scheduled_at"`
				CompletedAt *time.Time `json:"completed_at"`
			} `json:"runs"`
			NextBefore *int64 `json:"next_before"`
		}
		getJSON(b, page, &runs)
		for _, r := range runs.Runs {
			if r.ScheduledAt.Before(from) {
				return delays, len(delays)
			}
			if !r.ScheduledAt.Before(until) || r.CompletedAt == nil {
				continue
			}
			if r.Attempts != 1 {
				b.Fatalf("run %d took %d attempts", r.ID, r.Attempts)
			}
			delays = append(delays, r.CompletedAt.Sub(r.ScheduledAt))
		}
		if runs.NextBefore == nil {
			return delays, len(delays)
		}
		page = fmt.Sprintf("%s/api/runs?limit=500&before=%d", url, *runs.NextBefore)
	}
}

// getJSON GETs url and decodes its JSON answer into v.
func getJSON(b *testing.B, url string, v any) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatalf("GET %s: %v", url, err)
	}
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
	env["PREFETCH"] = os.Getenv("BENCH_PREFETCH")
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
	env := benchEnv(b)
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

// retentionSeed makes 1,000 jobs and 1,000,000 completed runs between 31 and 43 days old, a
// thousand a job, each with a short output. Test-only SQL, set-based so that it takes seconds.
const retentionSeed = `
INSERT INTO jobs (name, type, payload, cron, timezone, next_run_at)
SELECT 'old job ' || i, 'ping', '{"url": "https://example.com/health"}', '0 0 1 1 *', 'UTC', now() + interval '1 day'
FROM generate_series(1, 1000) AS i;
INSERT INTO runs (job_id, status, trigger, attempts, scheduled_at, created_at, started_at, completed_at, output)
SELECT j.id, 'completed', 'schedule', 1, t.at, t.at, t.at, t.at + interval '1 second', 'HTTP 200 OK: {"ok":true}'
FROM generate_series(0, 999999) AS i
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM jobs) AS j ON j.n = i % 1000
CROSS JOIN LATERAL (SELECT now() - interval '31 days' - interval '1 second' * i AS at) AS t
ORDER BY i DESC;
`

// latencies collects how long something took, many times over.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// report adds the median, the 99th percentile and the slowest, in milliseconds, as name-p50-ms and so on.
func (l *latencies) report(b *testing.B, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		b.Fatalf("no %s measured", name)
	}
	slices.Sort(l.d)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(l.d[len(l.d)/2]), name+"-p50-ms")
	b.ReportMetric(ms(l.d[len(l.d)*99/100]), name+"-p99-ms")
	b.ReportMetric(ms(l.d[len(l.d)-1]), name+"-max-ms")
	b.ReportMetric(float64(len(l.d)), name+"-n")
}

// BenchmarkRetention starts Cronflow as the binary would be on a database with 1,000,000 completed
// runs older than RETENTION_COMPLETED, and measures, while its first retention pass deletes them
// (keeping each job's newest 20), the dashboard's runs poll and job page (page) and a run made with
// Run now until it is completed (run), and then the same once the pass is over (after-page,
// after-run). Run it with:
//
//	go test -run '^$' -bench Retention -benchtime 1x .
func BenchmarkRetention(b *testing.B) {
	const runs, kept = 1000000, 1000 * 20
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer target.Close()
	for range b.N {
		b.StopTimer()
		env := benchEnv(b)
		env["CRONFLOW_RUN_NOW_PER_MINUTE"] = "100000" // the measurement runs twenty a second
		pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		start := time.Now()
		for _, sql := range []string{retentionSeed, "VACUUM ANALYZE"} {
			if _, err := pool.Exec(context.Background(), sql); err != nil {
				b.Fatalf("seed: %v", err)
			}
		}
		b.Logf("seeded %d runs in %s", runs, time.Since(start).Round(time.Second))
		payload, _ := json.Marshal(map[string]string{"url": target.URL})
		next := time.Now().Add(time.Hour)
		job, err := sqlcgen.New(pool).JobInsert(context.Background(), sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: "measured", Type: "ping",
			Payload: payload, Cron: "0 0 1 1 *", Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, NextRunAt: &next})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		measureRetention(b, benchApp(b, env), job.ID, runs-kept)
		b.StopTimer()
	}
}

// measureRetention measures the pages and a run's way through the consumers while retention
// deletes want runs, and after.
func measureRetention(b *testing.B, url string, jobID int64, want int) {
	var page, runNow, afterPage, afterRun latencies
	get := func(path string) error {
		resp, err := http.Get(url + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return nil
	}
	timed := func(l *latencies, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Error(err)
			return
		}
		l.add(time.Since(t0))
	}
	pages := func(l *latencies) {
		timed(l, func() error { return get("/runs/table") })
		timed(l, func() error { return get(fmt.Sprintf("/jobs/%d", jobID)) })
	}
	runOnce := func(l *latencies) { timed(l, func() error { return runToCompletion(url, jobID) }) }

	passStart := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range []func(){func() { pages(&page) }, func() { runOnce(&runNow) }} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Twenty times a second: a busy dashboard and a steady stream of runs, not a flood
			// that would measure itself.
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					f()
				}
			}
		}()
	}
	workertest.WaitFor(b, 10*time.Minute, "retention deletes the old runs", func() bool {
		return metricValue(url, `cronflow_retention_deleted_total{kind="completed"}`) >= float64(want)
	})
	close(done)
	wg.Wait()
	b.ReportMetric(time.Since(passStart).Seconds(), "pass-s")
	for range 50 {
		pages(&afterPage)
		runOnce(&afterRun)
	}
	page.report(b, "page")
	runNow.report(b, "run")
	afterPage.report(b, "after-page")
	afterRun.report(b, "after-run")
}

// runToCompletion makes a run of the job with Run now and waits until it is completed.
func runToCompletion(url string, jobID int64) error {
	resp, err := http.Post(fmt.Sprintf("%s/api/jobs/%d/run", url, jobID), "application/json", nil)
	if err != nil {
		return err
	}
	var run struct{ ID int64 }
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("run now: %d, %v", resp.StatusCode, err)
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(fmt.Sprintf("%s/api/runs/%d", url, run.ID))
		if err != nil {
			return err
		}
		var r struct{ Status string }
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err == nil && r.Status == "completed" {
			return nil
		}
	}
	return fmt.Errorf("run %d did not complete within a minute", run.ID)
}

// metricValue reads one series from the app's /metrics; -1 if it cannot.
func metricValue(url, series string) float64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}
