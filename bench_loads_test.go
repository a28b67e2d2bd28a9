package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkLoads measures Cronflow under four loads, each against the bare pipeline
// (bench_bare_test.go) on the same machine in the same run: 10,000 and 1,000 jobs due in the same
// second, and 1,000 and 50 jobs firing every second; and 100,000 jobs due in the same second
// (bench_huge_test.go). Each load runs with the jobs made by one import and made one by one through
// POST /api/jobs, as users make them, with CONSUMERS at its default and at 16 (the sub-benchmarks
// name which: Loads/Burst10000/api/consumers=16). Cronflow is started through run as the binary
// would be and measured from outside: the runs are read back through its API, and its delay is from
// the due second to each run's completed_at. For the bursts, ratio is Cronflow's runs per second
// over the bare pipeline's; for the steady loads, p99-ratio is the bare pipeline's p99 over
// Cronflow's (above 1: Cronflow is faster). Run it with:
//
//	go test -run '^$' -bench Loads -benchtime 1x .
//
// BENCH_BARE=off leaves the bare pipeline out, to repeat Cronflow's figures.
func BenchmarkLoads(b *testing.B) {
	for _, jobs := range []int{10000, 1000} {
		for _, setup := range loadSetups {
			b.Run(fmt.Sprintf("Burst%d/%s", jobs, setup), func(b *testing.B) {
				for range b.N {
					bare, withBare := bareLoad(func() loadFigures { return bareBurst(b, newTarget(b), jobs) })
					cf := cronflowBurst(b, newTarget(b), jobs, setup)
					report(b, bare, cf, withBare)
					b.ReportMetric(cf.perSec, "runs/s")
					if withBare {
						b.ReportMetric(bare.perSec, "bare-runs/s")
						b.ReportMetric(cf.perSec/bare.perSec, "ratio")
					}
				}
			})
		}
	}
	for _, jobs := range []int{1000, 50} {
		for _, setup := range loadSetups {
			b.Run(fmt.Sprintf("Steady%d/%s", jobs, setup), func(b *testing.B) {
				for range b.N {
					bare, withBare := bareLoad(func() loadFigures { return bareSteady(b, newTarget(b), jobs, steadySeconds) })
					cf := cronflowSteady(b, newTarget(b), jobs, steadySeconds, setup)
					report(b, bare, cf, withBare)
					if withBare {
						b.ReportMetric(float64(bare.p99)/float64(cf.p99), "p99-ratio")
					}
				}
			})
		}
	}
	b.Run("Burst100000", benchHugeBurst)
}

// The steady loads are measured over steadySeconds seconds, after steadyWarmUp seconds of the same load.
const (
	steadySeconds = 10
	steadyWarmUp  = 3
)

// loadFigures is what a load came to: runs per second (from the due second to the last run done)
// and the delays' percentiles.
type loadFigures struct {
	perSec         float64
	p50, p99, last time.Duration
}

// figures sums up the delays of n runs.
func figures(delays []time.Duration, n int) loadFigures {
	slices.Sort(delays)
	last := delays[len(delays)-1]
	return loadFigures{perSec: float64(n) / last.Seconds(), p50: delays[len(delays)/2], p99: delays[len(delays)*99/100], last: last}
}

// bareLoad measures the bare pipeline under a load, unless BENCH_BARE=off: then only Cronflow is
// measured, to repeat its figures without waiting for the bare pipeline's each time (at 100,000
// runs it takes about nine minutes).
func bareLoad(measure func() loadFigures) (loadFigures, bool) {
	if os.Getenv("BENCH_BARE") == "off" {
		return loadFigures{}, false
	}
	return measure(), true
}

// report reports Cronflow's delays, and the bare pipeline's if it was measured.
func report(b *testing.B, bare, cf loadFigures, withBare bool) {
	b.ReportMetric(float64(cf.p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(cf.p99.Microseconds())/1000, "p99-ms")
	if withBare {
		b.ReportMetric(float64(bare.p50.Microseconds())/1000, "bare-p50-ms")
		b.ReportMetric(float64(bare.p99.Microseconds())/1000, "bare-p99-ms")
	}
}

// cronflowBurst makes jobs jobs come due in the same second and measures how Cronflow works them off.
func cronflowBurst(b *testing.B, target string, jobs int, setup loadSetup) loadFigures {
	url, due := startBurst(b, target, jobs, setup)
	deadline := due.Add(burstWithin(jobs))
	for completedRuns(b, url) < int64(jobs) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d runs completed %s after they were due", completedRuns(b, url), jobs, burstWithin(jobs))
		}
		// Once a second: /api/stats counts the jobs, which is not light with 100,000 of them, and
		// the measurement should not slow down what it measures. The figures come from the runs'
		// own times, not from when this loop saw them done.
		time.Sleep(time.Second)
	}
	delays, done := windowDelays(b, url, due, due.Add(time.Second))
	if done != jobs {
		b.Fatalf("%d runs of the burst completed, want %d", done, jobs)
	}
	return figures(delays, jobs)
}

// cronflowSteady makes jobs jobs fire every second and measures the runs of seconds seconds, after
// a warm-up.
func cronflowSteady(b *testing.B, target string, jobs, seconds int, setup loadSetup) loadFigures {
	url := benchApp(b, benchEnv(b, setup))
	makeJobs(b, url, target, jobs, "* * * * * *", setup)
	// The warm-up starts with the first completed run: until then Cronflow is starting and
	// electing its leader.
	for deadline := time.Now().Add(time.Minute); completedRuns(b, url) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("no run completed within a minute of starting")
		}
	}
	from := time.Now().UTC().Truncate(time.Second).Add(steadyWarmUp * time.Second)
	until := from.Add(time.Duration(seconds) * time.Second)
	time.Sleep(time.Until(until.Add(time.Second)))
	want := jobs * seconds
	for deadline := until.Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		delays, done := windowDelays(b, url, from, until)
		if done == want {
			return figures(delays, want)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of the %d runs due from %s to %s completed", done, want, from, until)
		}
	}
}

// burstWithin is how long a burst of jobs runs may take before the benchmark gives up: five
// minutes, or 10 ms a run; a busy machine's bare pipeline has taken 90 s for 10,000.
func burstWithin(jobs int) time.Duration {
	return max(5*time.Minute, time.Duration(jobs)*10*time.Millisecond)
}

// completedRuns counts the completed runs, as GET /api/stats tells.
func completedRuns(b *testing.B, url string) int64 {
	var stats struct {
		Runs map[string]int64 `json:"runs"`
	}
	getJSON(b, url+"/api/stats", &stats)
	return stats.Runs["completed"]
}

// windowDelays reads the runs back through GET /api/runs, newest first, down to the first one
// scheduled before from, and returns, of those scheduled from from until until, the delays from
// scheduled_at to completed_at of the completed ones, and how many there were. A run that took more
// than one attempt fails the benchmark: the target never fails.
func windowDelays(b *testing.B, url string, from, until time.Time) ([]time.Duration, int) {
	var delays []time.Duration
	page := url + "/api/runs?limit=500"
	for {
		var runs struct {
			Runs []struct {
				ID          int64      `json:"id"`
				Attempts    int        `json:"attempts"`
				ScheduledAt time.Time  `json:"scheduled_at"`
				CompletedAt *time.Time `json:"completed_at"`
			} `json:"runs"`
			NextBefore *int64 `json:"next_before"`
		}
		getJSON(b, page, &runs)
		for _, r := range runs.Runs {
			if r.ScheduledAt.Before(from) {
				return delays, len(delays)
			}
			if !r.ScheduledAt.Before(until) || r.CompletedAt == nil {
				continue
			}
			if r.Attempts != 1 {
				b.Fatalf("run %d took %d attempts", r.ID, r.Attempts)
			}
			delays = append(delays, r.CompletedAt.Sub(r.ScheduledAt))
		}
		if runs.NextBefore == nil {
			return delays, len(delays)
		}
		page = fmt.Sprintf("%s/api/runs?limit=500&before=%d", url, *runs.NextBefore)
	}
}

// getJSON GETs url and decodes its JSON answer into v.
func getJSON(b *testing.B, url string, v any) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatalf("GET %s: %v", url, err)
	}
}
