// Package clustertest gives tests the clustered services that the scripts in .ci run on this host:
// a three-node RabbitMQ cluster (.ci/rabbit-cluster) and a PostgreSQL primary with a streaming
// standby (.ci/pg-pair). Tests that use them kill nodes and demote servers, so each one holds its
// service alone, across test binaries too, and leaves it whole again when it ends.
//
// They run only where CRONFLOW_TEST_CLUSTER is set (CI sets it, after starting the cluster);
// elsewhere they are skipped.
package clustertest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// EnvVar is the variable that turns the cluster tests on.
const EnvVar = "CRONFLOW_TEST_CLUSTER"

// take skips the test unless the cluster tests are on, then waits until the test is the only one
// using the named service, until it ends.
func take(t testing.TB, service string) {
	t.Helper()
	if os.Getenv(EnvVar) == "" {
		t.Skipf("%s is unset: run .ci/rabbit-cluster start and set it to run the cluster tests", EnvVar)
	}
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "cronflow-"+service+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("open the %s lock: %v", service, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("lock %s: %v", service, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	})
}

// script runs one of the .ci scripts and returns what it printed, failing the test if it fails.
func script(t testing.TB, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), ".ci", name)
	var out, errOut bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// repoRoot is the folder holding go.mod, above the test's working folder.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// fields splits each line of out into fields.
func fields(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows = append(rows, f)
		}
	}
	return rows
}

// nodeNumber turns "c2@localhost" into 2.
func nodeNumber(name string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(name, "c%d@localhost", &n); err != nil || n < 1 || n > 3 {
		return 0, fmt.Errorf("not a node of the cluster: %q", name)
	}
	return n, nil
}
