package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/workertest"
)

// testApp is Cronflow started through run, as the binary would be, on 127.0.0.1.
type testApp struct {
	t    testing.TB
	URL  string
	env  map[string]string
	logs *workertest.LogBuffer
	stop context.CancelFunc
	done chan error

	poolOnce sync.Once
	db       *pgxpool.Pool
}

// forTest is the same app for a subtest: its calls fail t instead of the test that started it.
func (a *testApp) forTest(t *testing.T) *testApp {
	return &testApp{t: t, URL: a.URL, env: a.env, logs: a.logs, stop: a.stop, done: a.done}
}

// testEnv returns the environment of an app on a fresh database and broker names of its own.
func testEnv(t *testing.T) map[string]string { return testEnvTB(t) }

func testEnvTB(t testing.TB) map[string]string {
	t.Helper()
	prefix := brokertest.Prefix()
	queues, exchanges := broker.NewTopology(prefix).Names(broker.RetryDelays...)
	brokertest.DeleteAtCleanup(t, queues, exchanges)
	return map[string]string{
		"DATABASE_URL":   dbtest.NewDatabase(t),
		"AMQP_URL":       brokertest.URL(),
		"AMQP_PREFIX":    prefix,
		"DASHBOARD_HOST": "127.0.0.1",
		"CONSUMERS":      "4",
		"LOG_LEVEL":      "debug",
		// The tests' targets and channels are on loopback, which Cronflow refuses by default.
		"CRONFLOW_ALLOW_PRIVATE_TARGETS": "true",
	}
}

// startApp runs Cronflow in mode ("serve" or "worker") with env, on a free port, and waits until it
// is ready. It is stopped when the test ends, if the test has not stopped it.
func startApp(t testing.TB, mode string, env map[string]string) *testApp {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	appEnv := map[string]string{}
	for k, v := range env {
		appEnv[k] = v
	}
	appEnv["DASHBOARD_PORT"] = strconv.Itoa(port)
	// A URL that must name the port (CRONFLOW_PUBLIC_URL, for passkeys) says {port}.
	if u, ok := appEnv["CRONFLOW_PUBLIC_URL"]; ok {
		appEnv["CRONFLOW_PUBLIC_URL"] = strings.ReplaceAll(u, "{port}", strconv.Itoa(port))
	}
	ctx, cancel := context.WithCancel(context.Background())
	app := &testApp{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", port), env: appEnv, logs: &workertest.LogBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() {
		app.done <- run(ctx, []string{"cronflow", mode}, func(k string) string { return appEnv[k] }, app.logs)
	}()
	t.Cleanup(func() {
		cancel()
		<-app.done
		if t.Failed() {
			t.Logf("logs of the app at %s:\n%s", app.URL, app.logs.String())
		}
	})
	workertest.WaitFor(t, 20*time.Second, "the app is ready", func() bool {
		select {
		case err := <-app.done:
			app.done <- err
			t.Fatalf("run returned early: %v\n%s", err, app.logs.String())
		default:
		}
		return app.readyz() == http.StatusOK
	})
	return app
}

// readyz is the status of the app's /readyz, or 0 if it does not answer.
func (a *testApp) readyz() int {
	resp, err := http.Get(a.URL + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// get returns the body of a GET of path, failing the test unless it answers 200.
func (a *testApp) get(path string) string {
	a.t.Helper()
	resp, err := http.Get(a.URL + path)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	return string(body)
}

// pool is a connection pool on the app's database, closed when the test ends.
func (a *testApp) pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	a.poolOnce.Do(func() {
		var err error
		if a.db, err = pgxpool.New(context.Background(), a.env["DATABASE_URL"]); err != nil {
			t.Fatal(err)
		}
		a.t.Cleanup(a.db.Close)
	})
	return a.db
}

// shutdown stops the app as SIGTERM would and returns what run returned.
func (a *testApp) shutdown() error {
	a.stop()
	err := <-a.done
	a.done <- err // for the cleanup
	return err
}

// call sends a JSON request to the app's API (as the admin, when the app has a password) and decodes the JSON answer into out, if given.
func (a *testApp) call(method, path string, body any, out any) int {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.URL+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if password := a.env["CRONFLOW_ADMIN_PASSWORD"]; password != "" {
		req.SetBasicAuth(cmp.Or(a.env["CRONFLOW_ADMIN_USER"], "admin"), password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// apiJob and apiRun are what the tests read of the API's answers.
type apiJob struct {
	ID        int64      `json:"id"`
	NextRunAt *time.Time `json:"next_run_at"`
}

type apiRun struct {
	ID          int64     `json:"id"`
	JobID       int64     `json:"job_id"`
	Status      string    `json:"status"`
	Trigger     string    `json:"trigger"`
	Attempts    int       `json:"attempts"`
	ScheduledAt time.Time `json:"scheduled_at"`
	Output      string    `json:"output"`
	Error       string    `json:"error"`
}

// createJob creates a job through the API and fails the test unless it is created.
func (a *testApp) createJob(body map[string]any) apiJob {
	a.t.Helper()
	var job apiJob
	if code := a.call(http.MethodPost, "/api/jobs", body, &job); code != http.StatusCreated {
		a.t.Fatalf("create job: status %d", code)
	}
	return job
}

// runs lists a job's runs, newest first.
func (a *testApp) runs(jobID int64) []apiRun {
	a.t.Helper()
	var out struct{ Runs []apiRun }
	a.call(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=500", jobID), nil, &out)
	return out.Runs
}

// waitRun waits until the run has the status.
func (a *testApp) waitRun(id int64, status string) apiRun {
	a.t.Helper()
	return a.waitRunWithin(id, status, 20*time.Second)
}

// waitRunWithin waits until the run has the status, at most within.
func (a *testApp) waitRunWithin(id int64, status string, within time.Duration) apiRun {
	a.t.Helper()
	var r apiRun
	workertest.WaitFor(a.t, within, fmt.Sprintf("run %d %s", id, status), func() bool {
		a.call(http.MethodGet, fmt.Sprintf("/api/runs/%d", id), nil, &r)
		return r.Status == status
	})
	return r
}
