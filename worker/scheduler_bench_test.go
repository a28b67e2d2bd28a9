package worker

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// startSeed makes 100,000 active jobs with four kinds of schedule, none due for a day.
const startSeed = `
INSERT INTO jobs (name, type, payload, cron, timezone, next_run_at)
SELECT 'job ' || i, 'ping', '{"url": "https://example.com/health"}',
       (ARRAY['*/5 * * * *', '0 * * * *', '0 0 * * *', '30 9 * * 1-5'])[i % 4 + 1],
       (ARRAY['UTC', 'Europe/Berlin'])[i % 2 + 1], now() + interval '1 day'
FROM generate_series(1, 100000) AS i;
`

// BenchmarkSchedulerStart measures how long the scheduler takes, on becoming leader, to load
// 100,000 jobs into its cron table and start it, and what that costs in memory: the heap it keeps
// (after a collection) and the process's resident set once it runs. Run it with:
//
//	go test ./worker/ -run '^$' -bench SchedulerStart -benchtime 3x
func BenchmarkSchedulerStart(b *testing.B) {
	pool := dbtest.NewPool(b)
	if _, err := pool.Exec(context.Background(), startSeed); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	var heap, rss float64
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		started := &startedSignal{ch: make(chan struct{})}
		s := NewScheduler(pool, NewDispatcher(sqlcgen.New(pool), nil, slog.New(started)), time.Hour, slog.New(started))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		begin := time.Now()
		go func() { defer close(done); _ = s.Run(ctx) }()
		select {
		case <-started.ch:
		case <-time.After(time.Minute):
			b.Fatal("the scheduler did not start within a minute")
		}
		took += time.Since(begin)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		rss += residentMB(b)
		cancel()
		<-done
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "start-ms")
	b.ReportMetric(heap/float64(b.N)/(1<<20), "heap-MB")
	b.ReportMetric(rss/float64(b.N), "rss-MB")
}

// startedSignal is a log handler that drops every record and closes ch at "Scheduler started".
type startedSignal struct {
	once sync.Once
	ch   chan struct{}
}

func (h *startedSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *startedSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *startedSignal) WithGroup(string) slog.Handler            { return h }
func (h *startedSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "Scheduler started" {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}

// residentMB is this process's resident set in MiB, as Linux tells it.
func residentMB(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
