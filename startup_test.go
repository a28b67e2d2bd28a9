package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/workertest"
)

// startFails runs Cronflow with env and returns its error and logs, failing the test unless run
// returned within 10 s with an error that says want, and without having said it started.
func startFails(t *testing.T, mode string, env map[string]string, want string) {
	t.Helper()
	logs := &workertest.LogBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	began := time.Now()
	err := run(ctx, []string{"cronflow", mode}, func(k string) string { return env[k] }, logs)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("run = %v; want %q\n%s", err, want, logs.String())
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("run took %s to fail; want it at once", took)
	}
	if logs.Contains("Cronflow started") {
		t.Errorf("Cronflow said it started before failing:\n%s", logs.String())
	}
}

func TestStartFailsAtOnce(t *testing.T) {
	t.Parallel()
	t.Run("PortInUse", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		// The database is not there either: the port is checked before it is waited for.
		env := map[string]string{"DASHBOARD_PORT": strconv.Itoa(l.Addr().(*net.TCPAddr).Port),
			"DATABASE_URL": "postgres://postgres@" + closedPort(t) + "/test?sslmode=disable"}
		startFails(t, "serve", env, "address already in use")
	})
	t.Run("MissingDatabase", func(t *testing.T) {
		t.Parallel()
		u, _ := url.Parse(dbtest.BaseURL())
		u.Path = "/cronflow_no_such_database"
		env := map[string]string{"DASHBOARD_PORT": freePort(t), "DATABASE_URL": u.String()}
		startFails(t, "serve", env, "the database does not exist")
	})
	t.Run("WrongBrokerPassword", func(t *testing.T) {
		t.Parallel()
		u, _ := url.Parse(brokertest.URL())
		u.User = url.UserPassword(u.User.Username(), "not-the-password")
		env := testEnv(t)
		env["AMQP_URL"], env["DASHBOARD_PORT"] = u.String(), freePort(t)
		startFails(t, "worker", env, "Exception (403)")
	})
}

// A worker follows serve's rules: without an admin password it listens on loopback only and
// answers only requests addressed to a loopback name; /metrics wants the metrics token.
func TestWorkerFollowsServesRules(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	delete(env, "DASHBOARD_HOST")
	env["CRONFLOW_METRICS_TOKEN"] = "scrape-token"
	w := startApp(t, "worker", env)

	get := func(host, token string) int {
		req, _ := http.NewRequest(http.MethodGet, w.URL+"/metrics", nil)
		if host != "" {
			req.Host = host
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("MetricsWantTheToken", func(t *testing.T) {
		if code := get("", ""); code != http.StatusUnauthorized {
			t.Errorf("GET /metrics without the token = %d; want 401", code)
		}
		if code := get("", "scrape-token"); code != http.StatusOK {
			t.Errorf("GET /metrics with the token = %d; want 200", code)
		}
	})
	t.Run("OnlyLoopbackNamesAreAnswered", func(t *testing.T) {
		if code := get("cronflow.example:8000", "scrape-token"); code != http.StatusMisdirectedRequest {
			t.Errorf("GET /metrics addressed to cronflow.example = %d; want 421", code)
		}
	})
	t.Run("HealthcheckSaysReady", func(t *testing.T) {
		err := run(context.Background(), []string{"cronflow", "healthcheck"}, func(k string) string { return w.env[k] }, &workertest.LogBuffer{})
		if err != nil {
			t.Fatalf("healthcheck = %v; want ready", err)
		}
	})
}

// freePort is a loopback port where nothing listens now.
func freePort(t *testing.T) string {
	_, port, _ := net.SplitHostPort(closedPort(t))
	return port
}
