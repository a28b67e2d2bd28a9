package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

// process is Cronflow running as its own process, so that a test can kill it as a crash would.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *workertest.LogBuffer
	app  *testApp
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// cronflowBinary builds the binary once per test run.
func cronflowBinary(t *testing.T) string {
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cronflow-bin")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "cronflow")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// startProcess starts the binary with env on a free port and waits until it is ready.
func startProcess(t *testing.T, env map[string]string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	p := &process{t: t, logs: &workertest.LogBuffer{}}
	p.cmd = exec.Command(cronflowBinary(t), "serve")
	p.cmd.Env = []string{"DASHBOARD_PORT=" + strconv.Itoa(port), "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("logs of pid %d:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	p.app = &testApp{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", port), env: env, logs: p.logs}
	workertest.WaitFor(t, 30*time.Second, "the process is ready", func() bool {
		resp, err := http.Get(p.app.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// kill ends the process at once, with no chance to finish anything.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

func TestAKilledProcessLosesNoRunAndDoublesNone(t *testing.T) {
	t.Parallel()
	// The first attempt hangs until the test ends; the second is answered at once.
	var mu sync.Mutex
	hits := map[string]int{}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		key := r.Header.Get("Idempotency-Key")
		hits[key]++
		first := hits[key] == 1 && r.URL.Path == "/slow"
		mu.Unlock()
		if first {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	srv := newHTTPTargetWith(t, target)
	env := testEnv(t)
	first := startProcess(t, env)

	slow := first.app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "timeout": "2s",
		"payload": map[string]any{"url": srv.URL + "/slow"}})
	ticking := first.app.createJob(map[string]any{"type": "ping", "cron": "* * * * * *",
		"payload": map[string]any{"url": srv.URL + "/tick"}})
	var run apiRun
	first.app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", slow.ID), nil, &run)
	first.app.waitRun(run.ID, "running")
	workertest.WaitFor(t, 10*time.Second, "scheduled runs", func() bool { return len(first.app.runs(ticking.ID)) >= 2 })

	first.kill()
	killed := time.Now()
	second := startProcess(t, env)

	// The killed attempt's lease (its 2 s timeout plus 30 s) runs out; then the run is taken again.
	done := second.app.waitRunWithin(run.ID, "completed", 60*time.Second)
	if done.Attempts != 2 {
		t.Errorf("attempts = %d, want 2: the killed one and the one that completed", done.Attempts)
	}
	mu.Lock()
	slowHits := hits[fmt.Sprintf("cronflow-%d-%d", slow.ID, run.ID)]
	mu.Unlock()
	if slowHits != 2 {
		t.Errorf("the target saw the run %d times, want 2 (same Idempotency-Key both times)", slowHits)
	}
	workertest.WaitFor(t, 20*time.Second, "scheduled runs after the crash", func() bool {
		for _, r := range second.app.runs(ticking.ID) {
			if r.ScheduledAt.After(killed) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	slots := map[time.Time]bool{}
	runs := second.app.runs(ticking.ID)
	mu.Lock()
	defer mu.Unlock()
	for _, r := range runs {
		if slots[r.ScheduledAt] {
			t.Fatalf("slot %s has two runs", r.ScheduledAt)
		}
		slots[r.ScheduledAt] = true
		if r.Status == "completed" && hits[fmt.Sprintf("cronflow-%d-%d", ticking.ID, r.ID)] != 1 {
			t.Errorf("run %d was executed %d times", r.ID, hits[fmt.Sprintf("cronflow-%d-%d", ticking.ID, r.ID)])
		}
	}
}
