package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// process is Cronflow running as its own process, so that a test can kill it as a crash would.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *syncBuffer
	app  *testApp
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// cronflowBinary builds the binary once per test run.
func cronflowBinary(t *testing.T) string {
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cronflow-bin")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "cronflow")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// startProcess starts the binary with env on a free port and waits until it is ready.
func startProcess(t *testing.T, env map[string]string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	p := &process{t: t, logs: &syncBuffer{}}
	p.cmd = exec.Command(cronflowBinary(t), "serve")
	p.cmd.Env = []string{"DASHBOARD_PORT=" + strconv.Itoa(port), "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("logs of pid %d:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	p.app = &testApp{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", port), env: env, logs: p.logs}
	workertest.WaitFor(t, 30*time.Second, "the process is ready", func() bool {
		resp, err := http.Get(p.app.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// kill ends the process at once, with no chance to finish anything.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

func TestAKilledProcessLosesNoRunAndDoublesNone(t *testing.T) {
	t.Parallel()
	// The first attempt hangs until the test ends; the second is answered at once.
	var mu sync.Mutex
	hits := map[string]int{}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		key := r.Header.Get("Idempotency-Key")
		hits[key]++
		first := hits[key] == 1 && r.URL.Path == "/slow"
		mu.Unlock()
		if first {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	srv := newHTTPTargetWith(t, target)
	env := testEnv(t)
	first := startProcess(t, env)

	slow := first.app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "timeout": "2s",
		"payload": map[string]any{"url": srv.URL + "/slow"}})
	ticking := first.app.createJob(map[string]any{"type": "ping", "cron": "* * * * * *",
		"payload": map[string]any{"url": srv.URL + "/tick"}})
	var run apiRun
	first.app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", slow.ID), nil, &run)
	first.app.waitRun(run.ID, "running")
	workertest.WaitFor(t, 10*time.Second, "scheduled runs", func() bool { return len(first.app.runs(ticking.ID)) >= 2 })

	first.kill()
	killed := time.Now()
	second := startProcess(t, env)

	// The killed attempt's lease (its 2 s timeout plus 30 s) runs out; then the run is taken again.
	done := second.app.waitRunWithin(run.ID, "completed", 60*time.Second)
	if done.Attempts != 2 {
		t.Errorf("attempts = %d, want 2: the killed one and the one that completed", done.Attempts)
	}
	mu.Lock()
	slowHits := hits[fmt.Sprintf("cronflow-%d-%d", slow.ID, run.ID)]
	mu.Unlock()
	if slowHits != 2 {
		t.Errorf("the target saw the run %d times, want 2 (same Idempotency-Key both times)", slowHits)
	}
	workertest.WaitFor(t, 20*time.Second, "scheduled runs after the crash", func() bool {
		for _, r := range second.app.runs(ticking.ID) {
			if r.ScheduledAt.After(killed) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	slots := map[time.Time]bool{}
	runs := second.app.runs(ticking.ID)
	mu.Lock()
	defer mu.Unlock()
	for _, r := range runs {
		if slots[r.ScheduledAt] {
			t.Fatalf("slot %s has two runs", r.ScheduledAt)
		}
		slots[r.ScheduledAt] = true
		if r.Status == "completed" && hits[fmt.Sprintf("cronflow-%d-%d", ticking.ID, r.ID)] != 1 {
			t.Errorf("run %d was executed %d times", r.ID, hits[fmt.Sprintf("cronflow-%d-%d", ticking.ID, r.ID)])
		}
	}
}

func TestSIGTERMLetsInFlightRunsFinishAndExitsZero(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 1500*time.Millisecond)
	env := testEnv(t)
	p := startProcess(t, env)
	job := p.app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var run apiRun
	p.app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	p.app.waitRun(run.ID, "running")

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM the process exited with %v, want 0", err)
	}
	again := startProcess(t, env)
	var after apiRun
	again.app.call(http.MethodGet, fmt.Sprintf("/api/runs/%d", run.ID), nil, &after)
	if after.Status != "completed" || after.Attempts != 1 {
		t.Fatalf("the in-flight run after SIGTERM: %s after %d attempts, want completed after 1", after.Status, after.Attempts)
	}
}

func TestMigrateMigratesAndExits(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	if err := run(context.Background(), []string{"cronflow", "migrate"}, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
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
	payload, _ := json.Marshal(map[string]string{"url": f.target.URL})
	sched, err := schedule.Parse(spec, "UTC")
	if err != nil {
		f.tb.Fatal(err)
	}
	next := sched.Next(time.Now())
	insertJobs(f.tb, f.q, n, sqlcgen.JobInsertParams{
		Name: "fault", Type: "ping", Payload: payload, Cron: spec, Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 1000, TimeoutMs: 5000, Catchup: schedule.CatchupLatest, NextRunAt: &next,
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

// countingTarget answers 200 and counts the requests of each Idempotency-Key.
type countingTarget struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newCountingTarget(tb testing.TB) *countingTarget {
	tg := &countingTarget{counts: map[string]int{}}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.counts[r.Header.Get("Idempotency-Key")]++
		tg.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	tb.Cleanup(tg.Close)
	return tg
}

func (tg *countingTarget) hits(key string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.counts[key]
}

// clusterEnv is testEnv's environment with the cluster's nodes as AMQP_URL; the test's queues are
// deleted from the cluster when it ends.
func clusterEnv(tb testing.TB, r *clustertest.Rabbit) map[string]string {
	env := testEnvTB(tb)
	queues, exchanges := broker.NewTopology(env["AMQP_PREFIX"]).Names(time.Second, 2*time.Second)
	brokertest.DeleteAtCleanupOn(tb, r.URLs, queues, exchanges)
	env["AMQP_URL"] = r.URL()
	env["LOG_LEVEL"] = "info"
	return env
}

// waitUntil paces a scenario: it returns at t.
func waitUntil(t time.Time) { time.Sleep(time.Until(t)) }

// nodeCrashScenario runs jobs every-second jobs on the cluster, kills the node holding most of
// Cronflow's connections for down, starts it again, and checks every slot from a steady start to
// 5 s after the restart. Delays are measured for the slots due from 5 s after the crash until the
// restart.
func nodeCrashScenario(tb testing.TB, jobs int, down time.Duration) slotReport {
	r := clustertest.NewRabbit(tb)
	env := clusterEnv(tb, r)
	f := newFleet(tb, env, env["DATABASE_URL"]).start()
	f.insertJobs(jobs, "* * * * * *")
	from := f.steadyFrom(jobs)
	waitUntil(from.Add(3 * time.Second))
	node := r.Busiest()
	led := r.Leader(broker.NewTopology(env["AMQP_PREFIX"]).WorkQueue) == node
	crash := time.Now()
	r.Kill(node)
	waitUntil(crash.Add(down))
	r.Restart(node)
	restarted := time.Now()
	until := restarted.Add(5 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 90*time.Second)
	rep := f.checkSlots(from, until, crash.Add(5*time.Second), restarted)
	rep.killedWorkLeader = led
	return rep
}

// burstScenario makes jobs jobs due in the same second on the cluster, kills the node holding
// most of Cronflow's connections 200 ms after that second and leaves it down. It returns the slot
// report of that second, with every run's delay, and the delay of the last.
func burstScenario(tb testing.TB, jobs int) slotReport {
	r := clustertest.NewRabbit(tb)
	env := clusterEnv(tb, r)
	f := newFleet(tb, env, env["DATABASE_URL"])
	// Far enough ahead for the inserts and the start-up.
	due := time.Now().Truncate(time.Second).Add(15*time.Second + time.Duration(jobs/200)*time.Second)
	f.insertJobs(jobs, fmt.Sprintf("%d %d %d * * *", due.Second(), due.Minute(), due.Hour()))
	f.start()
	node := r.Busiest()
	led := r.Leader(broker.NewTopology(env["AMQP_PREFIX"]).WorkQueue) == node
	if time.Until(due) < time.Second {
		tb.Fatal("the start-up took too long; the due second is too close")
	}
	waitUntil(due.Add(200 * time.Millisecond))
	r.Kill(node)
	f.waitSettled(due, 90*time.Second)
	rep := f.checkSlots(due, due, due, due)
	rep.killedWorkLeader = led
	return rep
}

// databaseOutageScenario runs jobs every-second jobs, takes PostgreSQL away from Cronflow for
// outage (a proxy in between stops, as a stopped server would look), and checks every slot from a
// steady start to 5 s after it is back. Delays are measured for the slots due during the outage.
func databaseOutageScenario(tb testing.TB, jobs int, outage time.Duration) slotReport {
	env := testEnvTB(tb)
	env["LOG_LEVEL"] = "info"
	dbURL := env["DATABASE_URL"]
	var proxy *dbtest.Proxy
	env["DATABASE_URL"], proxy = dbtest.ThroughProxy(tb, dbURL)
	f := newFleet(tb, env, dbURL).start()
	f.insertJobs(jobs, "* * * * * *")
	from := f.steadyFrom(jobs)
	waitUntil(from.Add(3 * time.Second))
	cut := time.Now()
	proxy.Stop()
	serve := f.apps[0]
	workertest.WaitFor(tb, outage, "the serve replica says it is not ready", func() bool { return serve.readyz() == http.StatusServiceUnavailable })
	waitUntil(cut.Add(outage))
	proxy.Start()
	back := time.Now()
	until := back.Add(5 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 90*time.Second)
	workertest.WaitFor(tb, 10*time.Second, "the serve replica is ready again", func() bool { return serve.readyz() == http.StatusOK })
	return f.checkSlots(from, until, cut, back)
}

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

func TestANodeCrashUnderSteadyLoadLosesNoRun(t *testing.T) {
	wantEveryRunOnce(t, nodeCrashScenario(t, 10, 6*time.Second))
}

func TestANodeCrashMidBurstRunsEveryRunOnce(t *testing.T) {
	wantEveryRunOnce(t, burstScenario(t, 300))
}

func TestADatabaseOutageUnderLoadLosesNoSlot(t *testing.T) {
	t.Parallel()
	wantEveryRunOnce(t, databaseOutageScenario(t, 10, 4*time.Second))
}

func TestAPrimaryDemotedUnderLoadIsLeftForTheNewOne(t *testing.T) {
	pg := clustertest.NewPostgres(t)
	env := testEnv(t)
	env["DATABASE_URL"] = pg.URL
	env["LOG_LEVEL"] = "info"
	f := newFleet(t, env, pg.URL).start()
	f.insertJobs(5, "* * * * * *")
	from := f.steadyFrom(5)
	waitUntil(from.Add(2 * time.Second))

	pg.Switchover()
	switched := time.Now()
	// The test's own connections are on the demoted primary too; new ones find the new one.
	f.pool.Reset()
	until := switched.Add(8 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 60*time.Second)
	wantEveryRunOnce(t, f.checkSlots(from, until, switched, until))
	// The scheduler listens on the new primary: a job added there runs at once, not at the next
	// full resync a minute later.
	probe, err := f.q.JobInsert(context.Background(), sqlcgen.JobInsertParams{Name: "probe", Type: "ping",
		Payload: json.RawMessage(`{"url": "` + f.target.URL + `"}`), Cron: "* * * * * *", Timezone: "UTC",
		MaxRetries: 0, RetryDelayMs: 1000, TimeoutMs: 5000, Catchup: schedule.CatchupLatest})
	if err != nil {
		t.Fatal(err)
	}
	workertest.WaitFor(t, 20*time.Second, "a run of a job added on the new primary", func() bool {
		for _, r := range f.allRuns() {
			if r.JobID == probe.ID && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	// The leader saw its lock's session turn read-only and took the lock on the new primary; the
	// worker, which holds no lock, met a write refused as read-only and let its connections go.
	if serve := f.apps[0]; !serve.logs.contains("read-only server") || !serve.logs.contains("Took the scheduler lock again") {
		t.Error("the leader did not take its lock again after its session turned read-only")
	}
	if worker := f.apps[1]; !worker.logs.contains("refused a write as read-only") {
		t.Error("the worker did not drop its connections to the demoted primary")
	}
}

func TestADatabaseURLWhoseFirstHostIsDownUsesTheNext(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	_ = l.Close()
	u, err := url.Parse(env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	u.Host = down + "," + u.Host
	q := u.Query()
	q.Set("target_session_attrs", "read-write")
	u.RawQuery = q.Encode()
	env["DATABASE_URL"] = u.String()

	tg := newHTTPTarget(t, 0)
	app := startApp(t, "serve", env)
	job := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	app.waitRun(run.ID, "completed")
}
