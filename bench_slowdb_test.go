package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
)

// slowDatabase puts a proxy that adds BENCH_DB_LATENCY (a Go duration, "20ms") to every round
// trip between the benchmark's app and PostgreSQL, as a database in another zone would; unset, it
// does nothing.
func slowDatabase(b *testing.B, env map[string]string) {
	s := os.Getenv("BENCH_DB_LATENCY")
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		b.Fatalf("BENCH_DB_LATENCY: %v", err)
	}
	var proxy *dbtest.Proxy
	env["DATABASE_URL"], proxy = dbtest.ThroughProxy(b, env["DATABASE_URL"])
	proxy.SetLatency(d)
}

// BenchmarkLoadsSlowDatabase measures Cronflow under BenchmarkLoads' four loads with 20 ms added to
// every round trip to PostgreSQL (or BENCH_DB_LATENCY, if set), beside the same loads without it.
// Batching is what keeps the throughput: a run costs a share of a few round trips, not its own.
// Run it with:
//
//	go test -run '^$' -bench LoadsSlowDatabase -benchtime 1x .
func BenchmarkLoadsSlowDatabase(b *testing.B) {
	latency := os.Getenv("BENCH_DB_LATENCY")
	if latency == "" {
		latency = "20ms"
	}
	for _, jobs := range []int{10000, 1000} {
		b.Run(fmt.Sprintf("Burst%d", jobs), func(b *testing.B) {
			for range b.N {
				fast := cronflowBurst(b, newTarget(b), jobs, loadSetup{})
				b.Setenv("BENCH_DB_LATENCY", latency)
				slow := cronflowBurst(b, newTarget(b), jobs, loadSetup{})
				b.Setenv("BENCH_DB_LATENCY", "")
				reportSlow(b, fast, slow)
				b.ReportMetric(slow.perSec, "slow-runs/s")
				b.ReportMetric(fast.perSec, "runs/s")
			}
		})
	}
	for _, jobs := range []int{1000, 50} {
		b.Run(fmt.Sprintf("Steady%d", jobs), func(b *testing.B) {
			for range b.N {
				fast := cronflowSteady(b, newTarget(b), jobs, steadySeconds, loadSetup{})
				b.Setenv("BENCH_DB_LATENCY", latency)
				slow := cronflowSteady(b, newTarget(b), jobs, steadySeconds, loadSetup{})
				b.Setenv("BENCH_DB_LATENCY", "")
				reportSlow(b, fast, slow)
			}
		})
	}
}

// reportSlow reports the delays with and without the latency.
func reportSlow(b *testing.B, fast, slow loadFigures) {
	b.ReportMetric(float64(slow.p50.Microseconds())/1000, "slow-p50-ms")
	b.ReportMetric(float64(slow.p99.Microseconds())/1000, "slow-p99-ms")
	b.ReportMetric(float64(fast.p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(fast.p99.Microseconds())/1000, "p99-ms")
}
