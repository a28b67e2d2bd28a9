package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"runtime"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// startSeed makes %d active jobs with four kinds of schedule in two zones, none due until the
// first of January (H tokens among them, so that they do not all share one parse), quietly: no
// scheduler listens yet.
const startSeed = `
BEGIN;
SET LOCAL cronflow.quiet_jobs = 'on';
INSERT INTO jobs (name, type, payload, cron, timezone, next_run_at)
SELECT 'job ' || i, 'ping', '{"url": "https://example.com/health"}',
       (ARRAY['0 0 1 1 *', 'H H 1 1 *', '30 9 1 1 *', 'H(0-29) 3 1 1 *'])[i %% 4 + 1],
       (ARRAY['UTC', 'Europe/Berlin'])[i %% 2 + 1], now() + interval '1 day'
FROM generate_series(1, %d) AS i;
COMMIT;
`

// idleFor is how long the benchmark watches the process's CPU with nothing due.
const idleFor = 30 * time.Second

// BenchmarkSchedulerStart measures how long the scheduler takes, on becoming leader, to read its
// jobs and start firing (and the CPU time the process spent meanwhile: the machine may be busy),
// what that costs in memory (the heap it keeps after a collection, the
// process's resident set then and at its peak), the share of a core the process uses over idleFor
// once started with nothing due, and what the minute's digest check and a full read cost. Run it
// with (the 100,000-job size alone for a quick run):
//
//	go test ./worker/ -run '^$' -bench 'SchedulerStart/jobs=1000000' -benchtime 1x -count 3 -timeout 40m
func BenchmarkSchedulerStart(b *testing.B) {
	for _, jobs := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) { benchmarkStart(b, jobs) })
	}
}

func benchmarkStart(b *testing.B, jobs int) {
	pool := dbtest.NewPool(b)
	if _, err := pool.Exec(context.Background(), fmt.Sprintf(startSeed, jobs)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), "VACUUM ANALYZE jobs"); err != nil {
		b.Fatal(err)
	}
	var took, tookCPU, check, resync time.Duration
	var heap, rss, hwm, idle float64
	for range b.N {
		runtime.GC()
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // VmHWM from here
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		started := &startedSignal{ch: make(chan struct{})}
		s := NewScheduler(pool, NewDispatcher(sqlcgen.New(pool), nil, slog.New(started)), time.Hour, slog.New(started))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		begin, beginCPU := time.Now(), cpuTime(b)
		go func() { defer close(done); _ = s.Run(ctx) }()
		select {
		case <-started.ch:
		case <-time.After(time.Minute):
			b.Fatal("the scheduler did not start within a minute")
		}
		took += time.Since(begin)
		tookCPU += cpuTime(b) - beginCPU
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		rss += procStatusMB(b, "VmRSS:")
		hwm += procStatusMB(b, "VmHWM:")

		cpu := cpuTime(b)
		time.Sleep(idleFor) // the measure itself: what the process does meanwhile
		idle += float64(cpuTime(b)-cpu) / float64(idleFor) * 100

		t0 := time.Now()
		if err := s.check(ctx); err != nil {
			b.Fatal(err)
		}
		check += time.Since(t0)
		t0 = time.Now()
		if err := s.resync(ctx); err != nil {
			b.Fatal(err)
		}
		resync += time.Since(t0)
		cancel()
		<-done
	}
	n := float64(b.N)
	b.ReportMetric(took.Seconds()/n, "start-s")
	b.ReportMetric(tookCPU.Seconds()/n, "start-cpu-s")
	b.ReportMetric(heap/n/(1<<20), "heap-MB")
	b.ReportMetric(rss/n, "rss-MB")
	b.ReportMetric(hwm/n, "hwm-MB")
	b.ReportMetric(idle/n, "idle-cpu-%")
	b.ReportMetric(float64(check.Milliseconds())/n, "check-ms")
	b.ReportMetric(float64(resync.Milliseconds())/n, "full-read-ms")
	b.ReportMetric(0, "ns/op")
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

// procStatusMB is a line of this process's /proc/self/status (VmRSS:, VmHWM:) in MiB.
func procStatusMB(b *testing.B, field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
