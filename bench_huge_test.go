package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// hugeBurst is how many jobs come due in the same second in the largest load.
const hugeBurst = 100000

// benchHugeBurst makes hugeBurst jobs, imported in documents of importDocMax, due in the same second
// (Cronflow at its defaults, or BENCH_CONSUMERS), beside the bare pipeline with as many runs. It
// checks that every run executed exactly once (the target counts the requests of each run's
// idempotency key) and reports when the last run was done, from the due second, and the peak
// resident memory of this process (VmHWM, reset before Cronflow starts). Cronflow runs in the
// benchmark's process, so that figure also holds the benchmark's own reading of the runs.
func benchHugeBurst(b *testing.B) {
	for range b.N {
		bare, withBare := bareLoad(func() loadFigures { return bareBurst(b, newTarget(b), hugeBurst) })
		resetPeakRSS(b)
		target := newKeyCountingTarget(b)
		cf := cronflowBurst(b, target.URL, hugeBurst, loadSetup{})
		requests, keys := target.counts()
		if requests != hugeBurst || keys != hugeBurst {
			b.Fatalf("the target got %d requests for %d runs, want one for each of %d", requests, keys, hugeBurst)
		}
		report(b, bare, cf, withBare)
		b.ReportMetric(cf.perSec, "runs/s")
		b.ReportMetric(cf.last.Seconds(), "last-s")
		if withBare {
			b.ReportMetric(bare.perSec, "bare-runs/s")
			b.ReportMetric(bare.last.Seconds(), "bare-last-s")
		}
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-rss-MiB")
	}
}

// keyCountingTarget is a local HTTP target that counts the requests of each idempotency key.
type keyCountingTarget struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newKeyCountingTarget(b *testing.B) *keyCountingTarget {
	tg := &keyCountingTarget{hits: map[string]int{}}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.hits[r.Header.Get("Idempotency-Key")]++
		tg.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(tg.Close)
	return tg
}

// counts answers how many requests the target got, and for how many keys.
func (tg *keyCountingTarget) counts() (requests, keys int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, n := range tg.hits {
		requests += n
	}
	return requests, len(tg.hits)
}

// resetPeakRSS resets this process's peak resident memory (VmHWM), as Linux allows through
// clear_refs.
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("reset the peak resident memory: %v (the peak reported is since the process started)", err)
	}
}

// peakRSS reads this process's peak resident memory, in bytes, from /proc/self/status.
func peakRSS(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
