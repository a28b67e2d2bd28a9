package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

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
	if serve := f.apps[0]; !serve.logs.Contains("read-only server") || !serve.logs.Contains("Took the scheduler lock again") {
		t.Error("the leader did not take its lock again after its session turned read-only")
	}
	if worker := f.apps[1]; !worker.logs.Contains("refused a write as read-only") {
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
