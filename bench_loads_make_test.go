package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// loadSetup is how a load's jobs are made and how many runs Cronflow executes at once.
type loadSetup struct {
	// api makes the jobs one by one through POST /api/jobs, as users do; otherwise one POST
	// /api/import makes them all.
	api bool
	// consumers is CONSUMERS; empty is the default (or BENCH_CONSUMERS, if set).
	consumers string
}

// loadSetups are the setups every load runs with.
var loadSetups = []loadSetup{{}, {api: true}, {consumers: "16"}, {api: true, consumers: "16"}}

// String names the setup in the sub-benchmark's name.
func (s loadSetup) String() string {
	made, consumers := "import", "default"
	if s.api {
		made = "api"
	}
	if s.consumers != "" {
		consumers = s.consumers
	}
	return made + "/consumers=" + consumers
}

// importDocMax is the most jobs one import document holds; more are imported in several.
const importDocMax = 10000

// benchEnv is the environment of the benchmark's app: testEnv's, with the defaults of a production
// install (CONSUMERS and PREFETCH unset, info logs) but for the setup's CONSUMERS and a job-creation
// limit that lets the API make thousands. BENCH_CONSUMERS and BENCH_PREFETCH set them.
func benchEnv(b *testing.B, setup loadSetup) map[string]string {
	env := testEnvTB(b)
	env["LOG_LEVEL"] = "info"
	env["CONSUMERS"] = os.Getenv("BENCH_CONSUMERS")
	if setup.consumers != "" {
		env["CONSUMERS"] = setup.consumers
	}
	env["PREFETCH"] = os.Getenv("BENCH_PREFETCH")
	env["CRONFLOW_API_JOBS_PER_MINUTE"] = "100000"
	slowDatabase(b, env) // BENCH_DB_LATENCY (bench_slowdb_test.go)
	return env
}

// newTarget is a local HTTP target that answers every request with 200, closed when the benchmark ends.
func newTarget(b *testing.B) string {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(target.Close)
	return target.URL
}

// startBurst starts Cronflow and makes jobs jobs due in the same second, which it answers with
// Cronflow's URL. The second is far enough ahead for the jobs to be made: how long that takes is
// measured first, on jobs that are never due.
func startBurst(b *testing.B, target string, jobs int, setup loadSetup) (string, time.Time) {
	url := benchApp(b, benchEnv(b, setup))
	probe := min(jobs, 200)
	if !setup.api {
		probe = min(jobs, 2000)
	}
	start := time.Now()
	makeJobsNamed(b, url, target, probe, "0 0 1 1 *", setup, "probe")
	perJob := time.Since(start) / time.Duration(probe)
	due := time.Now().UTC().Add(3*time.Second + 2*perJob*time.Duration(jobs)).Truncate(time.Second)
	makeJobs(b, url, target, jobs, fmt.Sprintf("%d %d %d * * *", due.Second(), due.Minute(), due.Hour()), setup)
	if time.Until(due) < 1500*time.Millisecond {
		b.Fatalf("making the jobs took too long; the due second is too close")
	}
	return url, due
}

// makeJobs makes jobs copies of a ping job against target with the schedule spec, as setup says.
func makeJobs(b *testing.B, url, target string, jobs int, spec string, setup loadSetup) {
	makeJobsNamed(b, url, target, jobs, spec, setup, "load")
}

func makeJobsNamed(b *testing.B, url, target string, jobs int, spec string, setup loadSetup, prefix string) {
	job := func(i int) map[string]any {
		return map[string]any{"name": fmt.Sprintf("%s %06d", prefix, i), "type": "ping", "cron": spec,
			"payload": map[string]any{"url": target}}
	}
	if setup.api {
		for i := range jobs {
			post(b, url+"/api/jobs", job(i), http.StatusCreated)
		}
		return
	}
	for from := 0; from < jobs; from += importDocMax {
		list := make([]map[string]any, min(importDocMax, jobs-from))
		for i := range list {
			list[i] = job(from + i)
		}
		post(b, url+"/api/import", map[string]any{"version": 1, "jobs": list}, http.StatusOK)
	}
}

// post POSTs v as JSON to url and fails the benchmark unless the answer has the status want.
func post(b *testing.B, url string, v any, want int) {
	doc, _ := json.Marshal(v)
	resp, err := http.Post(url, "application/json", bytes.NewReader(doc))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		b.Fatalf("POST %s: %s %s", url, resp.Status, body)
	}
}
