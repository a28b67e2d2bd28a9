package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

// previousRelease is the commit of the release before this one (before migrations 00010 to
// 00015), which the rolling-upgrade test runs beside this one.
const previousRelease = "8ec33dc"

// buildPrevious builds the previous release's binary from git, or skips the test where the
// history is not there (a shallow clone). The source is taken with git archive rather than a
// worktree, so that the repository's list of worktrees is left alone even if the test is killed.
func buildPrevious(t *testing.T) string {
	t.Helper()
	if err := exec.Command("git", "rev-parse", "--verify", "--quiet", previousRelease+"^{commit}").Run(); err != nil {
		t.Skipf("the previous release %s is not in this clone's history (a shallow clone?): %v", previousRelease, err)
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "src"), filepath.Join(dir, "cronflow-"+previousRelease)
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := exec.Command("sh", "-c", `git archive "$1" | tar -x -C "$2"`, "sh", previousRelease, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("take %s from git: %v\n%s", previousRelease, err, out)
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", previousRelease, err, out)
	}
	return bin
}

// release is a Cronflow binary running as a process of its own.
type release struct {
	*testApp
	pid int
	// stop sends SIGTERM, as an orchestrator would, and waits for the process to end.
	stop func()
}

// startBinary runs the binary at bin as "serve" with env on a free port, and waits until it is
// ready. It is stopped at cleanup if it was not before; its output is logged if the test fails.
func startBinary(t testing.TB, bin string, env map[string]string) release {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DASHBOARD_PORT=" + strconv.Itoa(port)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &workertest.LogBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(45 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("the %s binary did not stop within 45 s of SIGTERM", filepath.Base(bin))
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", filepath.Base(bin), logs.String())
		}
	})
	app := &testApp{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", port), env: env, logs: logs}
	workertest.WaitFor(t, 60*time.Second, filepath.Base(bin)+" is ready", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("%s exited: %v\n%s", filepath.Base(bin), err, logs.String())
		default:
		}
		return app.readyz() == http.StatusOK
	})
	return release{testApp: app, pid: cmd.Process.Pid, stop: stop}
}

// migrated lists the migration versions applied to the database at dbURL.
func migrated(t *testing.T, f *fleet) []int64 {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), "SELECT version_id FROM goose_db_version WHERE is_applied")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs
}

func TestThePreviousReleaseRunsBesideThisOneDuringAnUpgrade(t *testing.T) {
	longOutageTest(t)
	t.Parallel()
	old := buildPrevious(t)
	env := testEnvTB(t)
	env["LOG_LEVEL"] = "info"
	f := newFleet(t, env, env["DATABASE_URL"])
	// The previous release alone, on its own schema.
	prev := startBinary(t, old, env)
	f.insertJobsCatchup(10, "* * * * * *", schedule.CatchupAll)
	// The previous release may miss jobs made between its first load and its first LISTEN until
	// its minute's resync (this release listens before its first load): started again, it loads
	// them at once.
	prev.stop()
	prev = startBinary(t, old, env)
	from := f.steadyFrom(10)

	// This release starts beside it and migrates the schema under it.
	cur := startApp(t, "serve", env)
	if vs := migrated(t, f); vs[len(vs)-1] < 15 {
		t.Fatalf("this release did not migrate the database: versions %v", vs)
	}
	// The previous release keeps working on the newer schema, and starts on it too (a replica
	// restarted, or rolled back, in the middle of the upgrade): its migrate finds nothing to do.
	prev.stop()
	prev = startBinary(t, old, env)
	// It writes on it: a run made by hand through its API is stored, published and completed.
	jobID := f.allRuns()[0].JobID
	var run apiRun
	if code := prev.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", jobID), nil, &run); code != http.StatusAccepted && code != http.StatusCreated {
		t.Fatalf("run now on the previous release: status %d", code)
	}
	cur.waitRun(run.ID, "completed")
	waitUntil(time.Now().Add(5 * time.Second)) // both releases schedule and consume side by side

	// The previous release goes; this one takes over.
	prev.stop()
	until := time.Now().Add(5 * time.Second).Truncate(time.Second)
	waitUntil(until.Add(time.Second))
	f.waitSettled(until, 60*time.Second)
	wantEveryRunOnce(t, f.checkSlots(from, until, from, until))
	if code := cur.readyz(); code != http.StatusOK {
		t.Errorf("this release's /readyz after the previous release stopped: %d", code)
	}
}
