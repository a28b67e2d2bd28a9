package store

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
)

// importDocument is an export document of n tiny jobs, each valid.
func importDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version": 1, "jobs": [`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"j%d","type":"ping","payload":{"url":"http://127.0.0.1:9/"},"cron":"0 9 * * *"}`, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// peakHeap runs f and answers the largest heap in use it saw, sampled every millisecond, above
// the heap in use before it started.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	<-stopped
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

// BenchmarkImportDryRunPeakHeap reports the heap a dry-run import needs above its document: for
// the largest document the cap allows (MaxImportJobs tiny jobs), and for one twenty times larger,
// which the cap refuses.
func BenchmarkImportDryRunPeakHeap(b *testing.B) {
	for _, n := range []int{10_000, 200_000} {
		b.Run(fmt.Sprintf("Jobs%d", n), func(b *testing.B) {
			doc := importDocument(n)
			s := New(dbtest.Tx(b), "", nil)
			for b.Loop() {
				peak := peakHeap(func() {
					_, _ = s.Import(context.Background(), "bench", bytes.NewReader(doc), ImportOptions{DryRun: true})
				})
				b.ReportMetric(float64(len(doc))/(1<<20), "doc-MiB")
				b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
			}
		})
	}
}
