package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkSoak runs this release's binary under a mixed load for CRONFLOW_SOAK_DURATION (a Go
// duration, default 1h) and reports what it holds at the start (after a minute's warm-up) and at
// the end (after a warm-up longer than the retention, so that both see it at work): resident memory, goroutines, open sockets, database connections and the database's
// size. The load: 20 jobs succeeding every second; 5 jobs every 5 s whose target fails a third of
// the time, retried twice, alerting a webhook channel when they fail and recover; 2 jobs every 10 s
// that always fail, retried once; retention deleting runs older than 2 minutes; and a dashboard
// polled every 2 s. It runs only with CRONFLOW_SOAK=1, so that no test run starts it by accident:
//
//	CRONFLOW_SOAK=1 CRONFLOW_SOAK_DURATION=10m go test -run '^$' -bench Soak -benchtime 1x -timeout 0 .
func BenchmarkSoak(b *testing.B) {
	if os.Getenv("CRONFLOW_SOAK") == "" {
		b.Skip("set CRONFLOW_SOAK=1 (and CRONFLOW_SOAK_DURATION, default 1h) to run the soak")
	}
	duration := time.Hour
	if s := os.Getenv("CRONFLOW_SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("CRONFLOW_SOAK_DURATION: %v", err)
		}
		duration = d
	}
	bin := buildThisRelease(b)
	env := testEnvTB(b)
	for k, v := range map[string]string{"LOG_LEVEL": "warn", "CONSUMERS": "", "RETENTION_COMPLETED": "2m",
		"RETENTION_FAILED": "2m", "RETENTION_KEEP_PER_JOB": "5", "RETENTION_INTERVAL": "30s"} {
		env[k] = v
	}
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for range b.N {
		app := startBinary(b, bin, env)
		soakLoad(b, app.testApp)
		ctx, cancel := context.WithCancel(context.Background())
		go pollDashboard(ctx, app.URL)
		time.Sleep(soakWarmUp)
		start := measureSoak(b, app, pool)
		time.Sleep(duration)
		end := measureSoak(b, app, pool)
		cancel()
		b.Logf("soak of %s: %s", duration, start.diff(end))
		b.Logf("largest tables at the start: %s; at the end: %s", start.tables, end.tables)
		b.ReportMetric(end.rssMB, "end-rss-MB")
		b.ReportMetric(end.rssMB-start.rssMB, "rss-growth-MB")
		b.ReportMetric(end.goroutines-start.goroutines, "goroutine-growth")
		b.ReportMetric(end.dbMB, "end-db-MB")
		b.ReportMetric(end.runs, "end-runs")
		app.stop()
	}
}

// soakWarmUp is longer than the soak's retention (2 minutes), so that the start is measured with
// retention deleting as much as the load adds.
const soakWarmUp = 3 * time.Minute

// buildThisRelease builds the binary of the working tree into a temporary folder.
func buildThisRelease(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "cronflow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// soakLoad creates the soak's channel and jobs through the API.
func soakLoad(b *testing.B, app *testApp) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/fail", r.URL.Path == "/flaky" && rand.IntN(3) == 0:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	b.Cleanup(target.Close)
	var ch struct{ ID int64 }
	if code := app.call(http.MethodPost, "/api/channels", map[string]any{"name": "soak", "type": "webhook",
		"config": map[string]any{"url": target.URL + "/hook"}}, &ch); code != http.StatusCreated {
		b.Fatalf("create channel: %d", code)
	}
	job := func(name, path, cron string, retries int, alerts bool) {
		body := map[string]any{"name": name, "type": "ping", "cron": cron, "max_retries": retries, "retry_delay": "1s",
			"payload": map[string]any{"url": target.URL + path}}
		if alerts {
			body["alerts"] = map[string]any{"channels": []int64{ch.ID}, "after": 1}
		}
		app.createJob(body)
	}
	for i := range 20 {
		job(fmt.Sprintf("ok %02d", i), "/ok", "* * * * * *", 0, false)
	}
	for i := range 5 {
		job(fmt.Sprintf("flaky %d", i), "/flaky", "*/5 * * * * *", 2, true)
	}
	for i := range 2 {
		job(fmt.Sprintf("failing %d", i), "/fail", "*/10 * * * * *", 1, true)
	}
}

// pollDashboard asks for the dashboard's pages and fragments every 2 s, as an open browser tab
// would, until ctx is done.
func pollDashboard(ctx context.Context, url string) {
	client := &http.Client{Timeout: 10 * time.Second}
	for tick := time.NewTicker(2 * time.Second); ; {
		select {
		case <-ctx.Done():
			tick.Stop()
			return
		case <-tick.C:
		}
		for _, path := range []string{"/", "/jobs", "/runs/table", "/api/stats", "/metrics"} {
			if resp, err := client.Get(url + path); err == nil {
				resp.Body.Close()
			}
		}
	}
}

// soakFigures is what the soak measures at one moment.
type soakFigures struct {
	rssMB, goroutines, sockets, dbConns, dbMB, runs, notices float64
	// tables are the largest tables with their size and dead rows, to tell growth from bloat.
	tables string
}

// measureSoak reads the process's resident memory and sockets from /proc, its goroutines from its
// /metrics, and the database's connections, size and runs.
func measureSoak(b *testing.B, app release, pool *pgxpool.Pool) soakFigures {
	var f soakFigures
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", app.pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 64)
			f.rssMB = n / 1024
		}
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", app.pid))
	for _, fd := range fds {
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", app.pid, fd.Name())); err == nil && strings.HasPrefix(link, "socket:") {
			f.sockets++
		}
	}
	for _, line := range strings.Split(app.get("/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f.goroutines, _ = strconv.ParseFloat(v, 64)
		}
	}
	err = pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()),
		pg_database_size(current_database()) / 1048576.0, (SELECT count(*) FROM runs),
		(SELECT count(*) FROM notices)`).Scan(&f.dbConns, &f.dbMB, &f.runs, &f.notices)
	if err != nil {
		b.Fatal(err)
	}
	err = pool.QueryRow(context.Background(), `SELECT string_agg(format('%s %s (%s live, %s dead)', relname,
		pg_size_pretty(pg_total_relation_size(relid)), n_live_tup, n_dead_tup), ', ' ORDER BY pg_total_relation_size(relid) DESC)
		FROM (SELECT * FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 4) t`).Scan(&f.tables)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// diff shows start and end side by side.
func (s soakFigures) diff(e soakFigures) string {
	return fmt.Sprintf("resident memory %.1f → %.1f MB, goroutines %.0f → %.0f, sockets %.0f → %.0f, "+
		"database connections %.0f → %.0f, database %.1f → %.1f MB, runs kept %.0f → %.0f, notices %.0f → %.0f",
		s.rssMB, e.rssMB, s.goroutines, e.goroutines, s.sockets, e.sockets, s.dbConns, e.dbConns, s.dbMB, e.dbMB, s.runs, e.runs,
		s.notices, e.notices)
}
