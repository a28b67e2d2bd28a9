package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// silenceFor is how long the silent-connection tests keep a service silent: longer than every
// deadline Cronflow sets on a network wait, so that each of them has to fire.
const silenceFor = 60 * time.Second

// silentWithin is how soon after a silence ends its slots must all be completed.
const silentWithin = 15 * time.Second

// longOutageTest skips a test that takes minutes unless the cluster tests are on (CI turns them on).
func longOutageTest(t *testing.T) {
	t.Helper()
	if os.Getenv(clustertest.EnvVar) == "" {
		t.Skipf("%s is unset: the long outage tests run with the cluster tests", clustertest.EnvVar)
	}
}

// silenceScenario runs 20 every-second jobs with catch-up "all" through a proxy in front of
// PostgreSQL (service "postgres") or RabbitMQ ("rabbitmq"), makes the proxy silent for silenceFor
// and checks every slot from a steady start to 5 s after: one run each, completed, executed once,
// and the silence's slots completed within silentWithin after it ended.
func silenceScenario(t *testing.T, service string) {
	const jobs = 20
	env := testEnvTB(t)
	env["LOG_LEVEL"] = "info"
	// As installed: a backlog of a minute's slots is worked off by the default number of consumers.
	delete(env, "CONSUMERS")
	dbURL := env["DATABASE_URL"]
	var proxy *dbtest.Proxy
	switch service {
	case "postgres":
		env["DATABASE_URL"], proxy = dbtest.ThroughProxy(t, dbURL)
	case "rabbitmq":
		env["AMQP_URL"], proxy = dbtest.ThroughProxy(t, brokertest.URL())
	}
	f := newFleet(t, env, dbURL).start()
	f.insertJobsCatchup(jobs, "* * * * * *", schedule.CatchupAll)
	from := f.steadyFrom(jobs)
	waitUntil(from.Add(3 * time.Second))

	cut := time.Now()
	proxy.Silence()
	serve := f.apps[0]
	// /readyz keeps answering, within its own deadline, and says the service is gone.
	workertest.WaitFor(t, silenceFor-5*time.Second, "the serve replica says it is not ready", func() bool {
		return readyzWithin(t, serve, 5*time.Second) == http.StatusServiceUnavailable
	})
	waitUntil(cut.Add(silenceFor))
	proxy.Resume()
	back := time.Now()
	until := back.Add(5 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 90*time.Second)
	rep := f.checkSlots(from, until, cut, back)
	wantEveryRunOnce(t, rep)
	t.Logf("%s silent %s from %s", service, silenceFor, cut.Format(time.TimeOnly))
	wantDoneSoonAfter(t, f, cut, back, silentWithin)
	workertest.WaitFor(t, 30*time.Second, "the serve replica is ready again", func() bool { return serve.readyz() == http.StatusOK })
}

// Each sub-test has its own database, broker names and proxy, so the two silences run side by side,
// and beside the other parallel tests: a silence mostly waits.
func TestSilentConnectionsLoseNoSlot(t *testing.T) {
	longOutageTest(t)
	t.Parallel()
	t.Run("PostgreSQLSilentForAMinute", func(t *testing.T) {
		t.Parallel()
		silenceScenario(t, "postgres")
	})
	t.Run("RabbitMQSilentForAMinute", func(t *testing.T) {
		t.Parallel()
		silenceScenario(t, "rabbitmq")
	})
}

// wantDoneSoonAfter fails the test unless every run of a slot from from to end completed within
// within after end, and logs the latest.
func wantDoneSoonAfter(t *testing.T, f *fleet, from, end time.Time, within time.Duration) {
	t.Helper()
	var late []string
	var latest time.Duration
	for _, r := range f.allRuns() {
		if r.ScheduledAt.Before(from.Truncate(time.Second)) || r.ScheduledAt.After(end) || r.CompletedAt == nil {
			continue
		}
		after := r.CompletedAt.Sub(end)
		latest = max(latest, after)
		if after > within {
			late = append(late, r.ScheduledAt.Format(time.TimeOnly)+" +"+after.Round(time.Millisecond).String())
		}
	}
	t.Logf("the last run due by %s completed %s after it", end.Format(time.TimeOnly), latest.Round(time.Millisecond))
	if len(late) > 0 {
		t.Errorf("%d runs due by %s completed more than %s after it (slot +after): %s", len(late),
			end.Format(time.TimeOnly), within, strings.Join(late[:min(len(late), 10)], ", "))
	}
}

// readyzWithin is the status of app's /readyz, failing the test if it takes longer than d to answer.
func readyzWithin(t *testing.T, app *testApp, d time.Duration) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: d}).Get(app.URL + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz did not answer within %s: %v", d, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A process told to stop while both its database and its broker are silent stops: every wait it
// has on them ends by a deadline of its own.
func TestAProcessStopsWhileItsServicesAreSilent(t *testing.T) {
	longOutageTest(t)
	t.Parallel()
	env := testEnvTB(t)
	env["LOG_LEVEL"] = "info"
	dbURL := env["DATABASE_URL"]
	var db, mq *dbtest.Proxy
	env["DATABASE_URL"], db = dbtest.ThroughProxy(t, dbURL)
	env["AMQP_URL"], mq = dbtest.ThroughProxy(t, brokertest.URL())
	f := newFleet(t, env, dbURL).start()
	f.insertJobs(5, "* * * * * *")
	f.steadyFrom(5)
	db.Silence()
	mq.Silence()
	time.Sleep(3 * time.Second) // runs, publishes and claims are under way into the silence
	for _, app := range f.apps {
		stopped := make(chan error, 1)
		start := time.Now()
		go func() { stopped <- app.shutdown() }()
		select {
		case <-stopped:
			t.Logf("stopped %s after %s", app.URL, time.Since(start).Round(time.Millisecond))
		case <-time.After(90 * time.Second):
			t.Fatalf("the process at %s did not stop within 90 s of being told to while its services were silent", app.URL)
		}
	}
}
