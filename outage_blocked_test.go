package main

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/clustertest"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// blockedFor is how long the back-pressure test keeps RabbitMQ's memory alarm raised.
const blockedFor = 20 * time.Second

// readyzBody is app's /readyz status and body; a check that takes over 5 s fails the test.
func readyzBody(t *testing.T, app *testApp) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(app.URL + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAMemoryAlarmBlocksPublishingVisiblyAndLosesNoSlot(t *testing.T) {
	const jobs = 20
	r := clustertest.NewRabbit(t)
	env := clusterEnv(t, r)
	f := newFleet(t, env, env["DATABASE_URL"]).start()
	f.insertJobsCatchup(jobs, "* * * * * *", schedule.CatchupAll)
	from := f.steadyFrom(jobs)
	waitUntil(from.Add(3 * time.Second))
	serve := f.apps[0]
	goroutines := runtime.NumGoroutine()

	alarm := time.Now()
	r.RaiseMemoryAlarm(1)
	workertest.WaitFor(t, 10*time.Second, "/readyz says publishing is blocked", func() bool {
		code, body := readyzBody(t, serve)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "publishing blocked by RabbitMQ (memory/disk alarm)")
	})
	if m := serve.get("/metrics"); !strings.Contains(m, "cronflow_broker_blocked 1") {
		t.Error("cronflow_broker_blocked is not 1 while publishing is blocked")
	}
	if h := serve.header("/runs/table", "X-Cronflow-Broker-State"); !strings.Contains(h, "blocked by RabbitMQ") {
		t.Errorf("the dashboard's refresh does not say publishing is blocked: %q", h)
	}
	// Still blocked, and nothing piles up, however long it lasts.
	waitUntil(alarm.Add(blockedFor - time.Second))
	if code, body := readyzBody(t, serve); code != http.StatusServiceUnavailable || !strings.Contains(body, "blocked") {
		t.Errorf("/readyz near the end of the alarm: %d %s, want 503 saying publishing is blocked", code, body)
	}
	if grew := runtime.NumGoroutine() - goroutines; grew > 100 {
		t.Errorf("goroutines grew by %d during the alarm", grew)
	}
	r.ClearMemoryAlarm(1)
	cleared := time.Now()
	workertest.WaitFor(t, 15*time.Second, "the serve replica is ready again", func() bool {
		code, _ := readyzBody(t, serve)
		return code == http.StatusOK
	})
	until := cleared.Add(5 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 90*time.Second)
	wantEveryRunOnce(t, f.checkSlots(from, until, alarm, cleared))
	wantDoneSoonAfter(t, f, alarm, cleared, silentWithin)
	if !serve.logs.Contains("RabbitMQ blocked publishing") || !serve.logs.Contains("RabbitMQ unblocked publishing") {
		t.Error("no log line when publishing was blocked and unblocked")
	}
	if m := serve.get("/metrics"); !strings.Contains(m, "cronflow_broker_blocked 0") || !strings.Contains(m, "cronflow_broker_blocked_total 1") {
		t.Error("after the alarm, cronflow_broker_blocked is not 0 or cronflow_broker_blocked_total is not 1")
	}
}

// header is the named header of app's answer to a GET of path.
func (a *testApp) header(path, name string) string {
	a.t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(a.URL + path)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.Header.Get(name)
}
