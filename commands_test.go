package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// closedPort is a loopback address where nothing listens: a command that reached for the database
// there would wait 30 s for it.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	doc := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(doc, []byte(`{"jobs":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args    []string
		stdout  string // what stdout must hold; with it, run must succeed
		refused string // what the error must say; with it, the exit code is 2
		failed  string // what the error must say; with it, the exit code is 1
	}{
		"Help":                     {args: []string{"help"}, stdout: "Usage: cronflow"},
		"DashH":                    {args: []string{"-h"}, stdout: "Usage: cronflow"},
		"DashDashHelp":             {args: []string{"--help"}, stdout: "Usage: cronflow"},
		"HelpAfterACommand":        {args: []string{"import", "--help"}, stdout: "healthcheck"},
		"Version":                  {args: []string{"version"}, stdout: "built with go"},
		"DashDashVersion":          {args: []string{"--version"}, stdout: "cronflow "},
		"UnknownCommand":           {args: []string{"serv"}, refused: `unknown command "serv"`},
		"UnknownFlag":              {args: []string{"--port", "9000"}, refused: `unknown flag "--port"`},
		"UnknownFlagOfServe":       {args: []string{"serve", "--port", "9000"}, refused: "cronflow serve: flag provided but not defined: -port"},
		"ExtraArgumentOfWorker":    {args: []string{"worker", "now"}, refused: `cronflow worker: unexpected argument "now"`},
		"FlagOfAnotherCommand":     {args: []string{"migrate", "--dry-run"}, refused: "cronflow migrate: flag provided but not defined: -dry-run"},
		"ExtraArgumentOfHelp":      {args: []string{"help", "me"}, refused: `unexpected argument "me"`},
		"ExtraArgumentOfVersion":   {args: []string{"version", "now"}, refused: `unexpected argument "now"`},
		"ExtraArgumentOfHealth":    {args: []string{"healthcheck", "--url", "x"}, refused: "flag provided but not defined: -url"},
		"ImportWithoutAFile":       {args: []string{"import"}, refused: "cronflow import: name the FILE to import"},
		"ImportWithTwoFiles":       {args: []string{"import", doc, doc}, refused: "unexpected argument"},
		"ImportWithAnUnknownMode":  {args: []string{"import", doc, "--mode=merge"}, refused: `--mode must be upsert or create, got "merge"`},
		"ImportWithAnUnknownFlag":  {args: []string{"import", "--force", doc}, refused: "flag provided but not defined: -force"},
		"ImportOfAMissingDocument": {args: []string{"import", doc + ".missing"}, failed: "open document"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": "postgres://postgres@" + closedPort(t) + "/test?sslmode=disable"}
			var stdout bytes.Buffer
			began := time.Now()
			err := run(context.Background(), append([]string{"cronflow"}, tc.args...), func(k string) string { return env[k] }, &stdout)
			if took := time.Since(began); took > 3*time.Second {
				t.Errorf("run took %s: the command line must be answered before the database is", took)
			}
			switch {
			case tc.stdout != "":
				if err != nil || !strings.Contains(stdout.String(), tc.stdout) {
					t.Fatalf("run = %v, stdout %q; want %q", err, stdout.String(), tc.stdout)
				}
			case tc.refused != "":
				if err == nil || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "Usage: cronflow") || exitCode(err) != 2 {
					t.Fatalf("run = %v (exit code %d); want %q refused with the usage, exit code 2", err, exitCode(err), tc.refused)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tc.failed) || exitCode(err) != 1 {
					t.Fatalf("run = %v; want %q, exit code 1", err, tc.failed)
				}
			}
		})
	}
}

func TestVersionSaysTheCommit(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cronflow/cronflow", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"}}}
	got := versionText(bi, true)
	for _, want := range []string{"cronflow v1.4.0", "commit 0123456789abcdef of 2026-01-02T03:04:05Z, with uncommitted changes", "built with go1.26.8"} {
		if !strings.Contains(got, want) {
			t.Errorf("versionText = %q; want %q in it", got, want)
		}
	}
	bare := versionText(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true)
	if !strings.Contains(bare, "commit unknown") {
		t.Errorf("without VCS information versionText = %q; want the commit said unknown", bare)
	}
}

// The built binary answers with the right exit codes and says the commit it was built from. It is
// built here, in the test's own temporary directory, with VCS stamping asked for (this machine's
// go env turns it off by default) whenever the source is a git clone. The go command finds no
// repository in a git worktree, whose .git is a file; there the commit is not checked.
func TestBinaryCommandLine(t *testing.T) {
	t.Parallel()
	head, gitErr := exec.Command("git", "rev-parse", "HEAD").Output()
	if fi, err := os.Stat(".git"); err != nil || !fi.IsDir() {
		gitErr = errors.New("not a git clone")
	}
	if gitErr != nil {
		t.Logf("the source is not a git clone (%v): the commit is not checked", gitErr)
	}
	bin := filepath.Join(t.TempDir(), "cronflow")
	build := exec.Command("go", "build", "-buildvcs="+strconv.FormatBool(gitErr == nil), "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exec1 := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	if out, _, code := exec1("--help"); code != 0 || !strings.HasPrefix(out, "Usage: cronflow") {
		t.Errorf("cronflow --help: exit %d, stdout %q; want the usage and 0", code, out)
	}
	if _, errOut, code := exec1("serve", "--port", "9000"); code != 2 || !strings.Contains(errOut, "Usage: cronflow") {
		t.Errorf("cronflow serve --port 9000: exit %d, stderr %q; want the usage and 2", code, errOut)
	}
	out, _, code := exec1("version")
	if code != 0 || !strings.HasPrefix(out, "cronflow ") {
		t.Errorf("cronflow version: exit %d, stdout %q", code, out)
	}
	if gitErr == nil {
		if want := "commit " + strings.TrimSpace(string(head)); !strings.Contains(out, want) {
			t.Errorf("cronflow version = %q; want %q", out, want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, env map[string]string) (string, error) {
		var stdout bytes.Buffer
		err := run(context.Background(), []string{"cronflow", "healthcheck"}, func(k string) string { return env[k] }, &stdout)
		return stdout.String(), err
	}
	serve := func(t *testing.T, status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/readyz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	}
	t.Run("ReadyExitsZero", func(t *testing.T) {
		t.Parallel()
		port := serve(t, http.StatusOK, `{"status":"ready"}`)
		if out, err := check(t, map[string]string{"DASHBOARD_PORT": port}); err != nil || out != "ready\n" {
			t.Fatalf("healthcheck = %q, %v; want ready", out, err)
		}
	})
	t.Run("OnEveryAddressItAsksLoopback", func(t *testing.T) {
		t.Parallel()
		port := serve(t, http.StatusOK, `{"status":"ready"}`)
		env := map[string]string{"DASHBOARD_PORT": port, "CRONFLOW_ADMIN_PASSWORD": "long enough"} // listens on 0.0.0.0
		if _, err := check(t, env); err != nil {
			t.Fatalf("healthcheck = %v; want ready", err)
		}
	})
	t.Run("NotReadyFailsWithWhy", func(t *testing.T) {
		t.Parallel()
		port := serve(t, http.StatusServiceUnavailable, `{"status":"unavailable","problems":{"rabbitmq":"down"}}`)
		if _, err := check(t, map[string]string{"DASHBOARD_PORT": port}); err == nil || !strings.Contains(err.Error(), `"rabbitmq":"down"`) {
			t.Fatalf("healthcheck = %v; want not ready, with the problem", err)
		}
	})
	t.Run("NothingListeningFails", func(t *testing.T) {
		t.Parallel()
		_, port, _ := net.SplitHostPort(closedPort(t))
		if _, err := check(t, map[string]string{"DASHBOARD_PORT": port}); err == nil || exitCode(err) != 1 {
			t.Fatalf("healthcheck = %v; want an error", err)
		}
	})
}

func TestLocalAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{"0.0.0.0:8000": "127.0.0.1:8000", "[::]:8000": "[::1]:8000",
		":8000": "127.0.0.1:8000", "127.0.0.1:8000": "127.0.0.1:8000", "[::1]:9": "[::1]:9"} {
		if got := localAddr(addr); got != want {
			t.Errorf("localAddr(%q) = %q; want %q", addr, got, want)
		}
	}
}
