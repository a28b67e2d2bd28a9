package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries/store"
)

// usage is what cronflow help prints, and what follows every refused command line.
const usage = `Usage: cronflow [COMMAND]

Commands:
  serve        the dashboard and API, the scheduler (one leader among replicas) and consumers;
               the default
  worker       consumers only, for scaled-out replicas, with /healthz, /readyz and /metrics
  migrate      migrate the database and exit
  export       print every job as an export document
  import FILE [--dry-run] [--mode=upsert|create]
               import an export document: --dry-run says what would change and stores nothing;
               --mode=create refuses jobs whose names exist already
  healthcheck  exit 0 if this host's Cronflow answers ready on /readyz, 1 otherwise
               (for container healthchecks)
  version      print the version and the commit Cronflow was built from
  help         print this help (also -h and --help)

Every setting comes from the environment: see .env.example and the README.
`

// usageError is a command line Cronflow refuses; main prints it, then the usage, and exits 2.
type usageError struct{ problem string }

func (e usageError) Error() string { return e.problem + "\n\n" + usage }

// exitCode is the process's exit status after run returned err (not nil): 2 for a command line
// that was refused, 1 for everything else.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// command is a parsed command line: the mode, and for import its arguments.
type command struct {
	mode       string
	importArgs importArgs
}

// importArgs are cronflow import's arguments.
type importArgs struct {
	file   string
	dryRun bool
	mode   string
}

// parseCommand reads the command line, before anything starts: an unknown command, an unknown
// flag or an argument too many is refused with the usage, so that nothing is half-understood
// (cronflow serve --port 9000 would otherwise serve on another port than the one asked).
func parseCommand(args []string) (command, error) {
	name := "serve"
	if len(args) > 1 {
		name = args[1]
	}
	rest := args[min(2, len(args)):]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	switch name {
	case "serve", "worker", "migrate", "export", "import", "healthcheck", "version", "help":
	default:
		if strings.HasPrefix(name, "-") {
			return command{}, usageError{fmt.Sprintf("unknown flag %q", name)}
		}
		return command{}, usageError{fmt.Sprintf("unknown command %q", name)}
	}
	c := command{mode: name, importArgs: importArgs{mode: store.ImportUpsert}}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if name == "import" {
		fs.BoolVar(&c.importArgs.dryRun, "dry-run", false, "")
		fs.StringVar(&c.importArgs.mode, "mode", store.ImportUpsert, "")
	}
	err := fs.Parse(rest)
	if name == "import" && err == nil && fs.NArg() > 0 {
		c.importArgs.file = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:]) // flags may follow the file too
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return command{mode: "help"}, nil
	case err != nil:
		return command{}, usageError{fmt.Sprintf("cronflow %s: %v", name, err)}
	case fs.NArg() > 0:
		return command{}, usageError{fmt.Sprintf("cronflow %s: unexpected argument %q", name, fs.Arg(0))}
	}
	if name == "import" {
		return c, c.importArgs.check()
	}
	return c, nil
}

// check refuses import arguments that cannot work, before the database is touched.
func (a importArgs) check() error {
	if a.file == "" {
		return usageError{"cronflow import: name the FILE to import (usage: cronflow import FILE [--dry-run] [--mode=upsert|create])"}
	}
	if a.mode != store.ImportUpsert && a.mode != store.ImportCreate {
		return usageError{fmt.Sprintf("cronflow import: --mode must be upsert or create, got %q", a.mode)}
	}
	if _, err := os.Stat(a.file); err != nil {
		return fmt.Errorf("open document: %w", err)
	}
	return nil
}

// answer runs the commands that start nothing (help, version and healthcheck) and reports true;
// for the others it does nothing and reports false.
func (c command) answer(ctx context.Context, getenv func(string) string, stdout io.Writer) (bool, error) {
	switch c.mode {
	case "help":
		_, err := io.WriteString(stdout, usage)
		return true, err
	case "version":
		bi, ok := debug.ReadBuildInfo()
		_, err := fmt.Fprintln(stdout, versionText(bi, ok))
		return true, err
	case "healthcheck":
		return true, healthcheck(ctx, getenv, stdout)
	}
	return false, nil
}

// versionText says which Cronflow this is: the module version and the commit it was built from,
// as the Go toolchain stamped them into the binary.
func versionText(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "cronflow: no build information in this binary"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	commit := "commit unknown (built without version control information)"
	if rev := vcs["vcs.revision"]; rev != "" {
		commit = "commit " + rev
		if t := vcs["vcs.time"]; t != "" {
			commit += " of " + t
		}
		if vcs["vcs.modified"] == "true" {
			commit += ", with uncommitted changes"
		}
	}
	return fmt.Sprintf("cronflow %s\n%s\nbuilt with %s", version, commit, bi.GoVersion)
}

// listens reports whether a mode serves HTTP (serve and worker), or reads where they do
// (healthcheck): these follow the listening rules of loadConfig.
func listens(mode string) bool {
	return mode == "serve" || mode == "worker" || mode == "healthcheck"
}

// listen opens the HTTP listener of a mode that serves, first of all, so that a port in use stops
// Cronflow at once, before it waits for the database or starts a consumer. Connections that
// arrive before the server starts wait in the listener's queue. Other modes get nil.
func listen(mode, addr string) (net.Listener, error) {
	if mode != "serve" && mode != "worker" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// closeListener closes ln, if there is one; closing it again after the server did is harmless.
func closeListener(ln net.Listener) {
	if ln != nil {
		_ = ln.Close()
	}
}

// healthcheckTimeout bounds the whole check; /readyz itself gives up on its checks after 2 s.
const healthcheckTimeout = 5 * time.Second

// healthcheck is cronflow healthcheck: it asks the Cronflow of this host (serve or worker, on the
// address the same environment makes it listen on) whether it is ready, and returns nil only if
// /readyz answers 200. It is for container healthchecks: the image has no shell and no curl.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig("healthcheck", getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	url := "http://" + localAddr(cfg.HTTPAddr) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	// No proxy: the check is about this host.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: not ready: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = fmt.Fprintln(stdout, "ready")
	return err
}

// localAddr is where this host reaches a server listening on addr: a server on every address
// (0.0.0.0 or ::) is asked on loopback.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
