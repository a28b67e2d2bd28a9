package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMetricsAreScraped(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	app := startApp(t, "serve", testEnv(t))
	good := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	bad := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "max_retries": 0,
		"payload": map[string]any{"url": "http://127.0.0.1:1/"}})
	for _, id := range []int64{good.ID, bad.ID} {
		var run apiRun
		app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", id), nil, &run)
		app.waitRun(run.ID, map[int64]string{good.ID: "completed", bad.ID: "permanently_failed"}[id])
	}
	resp, err := http.Get(app.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`cronflow_runs_total{outcome="completed",type="ping"} 1`,
		`cronflow_runs_total{outcome="permanently_failed",type="ping"} 1`,
		`cronflow_attempt_duration_seconds_count{type="ping"} 2`,
		`cronflow_schedule_lag_seconds_count 2`,
		`cronflow_schedule_skew_seconds_count 2`,
		`cronflow_publishes_total{result="confirmed"} 2`,
		`cronflow_publishes_total{result="returned"} 0`,
		`cronflow_publishes_total{result="failed"} 0`,
		`cronflow_broker_reconnects_total{connection="consumer"} 0`,
		`cronflow_consumers 4`,
		`cronflow_runs_in_flight 0`,
		`cronflow_scheduler_leader 1`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
