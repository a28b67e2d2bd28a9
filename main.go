// Command cronflow is a self-hosted cron service: jobs are scheduled from PostgreSQL, executed
// through RabbitMQ, and every run is recorded and shown on a dashboard.
//
// Usage:
//
//	cronflow [serve]   HTTP dashboard and API, the scheduler (one leader among replicas) and consumers
//	cronflow worker    consumers only, for scaled-out replicas, with /healthz, /readyz and /metrics
//	cronflow migrate   migrate the database and exit
//	cronflow export    print every job as an export document
//	cronflow import FILE [--dry-run] [--mode=upsert|create]
//	                   import an export document (see the README)
//	cronflow healthcheck  exit 0 if this host's Cronflow says it is ready (container healthchecks)
//	cronflow version   the version and commit it was built from; cronflow help: the usage
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cronflow/cronflow/handlers"
	"github.com/cronflow/cronflow/queries"
	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// noticeConsumers is how many notices one process delivers at once: alerts are few.
const noticeConsumers = 4

// poolSize is how many database connections a process with this many consumers opens at most. The
// consumers' claims and results go through shared batches (worker/batcher.go) on a few
// connections, so they need no connection each; up to 32 of them may read secrets at once, and ten
// are left for the dashboard and the leader's services.
func poolSize(consumers int) int32 { return int32(min(consumers, 32) + 10) }

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cronflow:", err)
		os.Exit(exitCode(err))
	}
}

// run starts Cronflow and blocks until ctx is done or SIGINT/SIGTERM arrives, then stops it in
// reverse order: HTTP, the scheduler, the notice and run consumers (letting in-flight work finish),
// the publisher.
// It is longer than 60 lines on purpose: it is the one place that reads as the wiring, the start
// order and the stop order, top to bottom.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd, err := parseCommand(args)
	if err != nil {
		return err
	}
	if answered, err := cmd.answer(ctx, getenv, stdout); answered {
		return err
	}
	mode := cmd.mode
	cfg, err := loadConfig(mode, getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(logOutput(mode, stdout), &slog.HandlerOptions{Level: cfg.LogLevel}))
	if cfg.Mail.SkipVerify {
		logger.Warn("SMTP_TLS_SKIP_VERIFY is true: the SMTP server's certificate is not verified", "smtp_host", cfg.Mail.Host)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := listen(mode, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	defer closeListener(ln)

	pool, err := queries.OpenPool(ctx, cfg.DatabaseURL, poolSize(cfg.Consumers), logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := queries.Migrate(ctx, pool, logger); err != nil {
		return err
	}
	q := sqlcgen.New(pool)
	st := store.New(pool, cfg.AdminUser, nil)
	switch mode {
	case "migrate":
		return nil
	case "export":
		return st.Export(ctx, stdout)
	case "import":
		return importCommand(ctx, cmd.importArgs, st, stdout)
	}
	keys, err := worker.OpenSecrets(ctx, q, cfg.SecretKey, cfg.PreviousSecretKey, logger)
	if err != nil {
		return err
	}
	top := broker.NewTopology(cfg.AMQPPrefix)
	if err := broker.CheckAccess(ctx, cfg.AMQPURLs); err != nil {
		return err
	}
	if mode == "serve" {
		if err := ensureAdmin(ctx, cfg, st, logger); err != nil {
			return err
		}
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := worker.NewMetrics(registry)
	metricsHandler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})

	// Start order: the publisher (consumers publish retries until they are done), the consumers,
	// then, on the leader only, the dispatcher, the reaper, retention, the purger and the scheduler.
	// Each is stopped in reverse order, after HTTP.
	pub := broker.NewPublisher(cfg.AMQPURLs, top, logger)
	stopPub := start(ctx, pub.Run)
	defer stopPub()

	out := worker.NewOutbox(q, pub, logger)
	consumer, notifier, stopConsumers := startConsumers(ctx, cfg, pool, top, pub, out, keys, metrics, logger)
	defer stopConsumers()

	// The leader's parts: a worker-only replica builds none of them, and they stay nil there.
	var leader *worker.Leader
	var disp *worker.Dispatcher
	stopLeader := func() {}
	if mode == "serve" {
		leader, disp, stopLeader = startLeader(ctx, cfg, pool, out, registry, metrics, logger)
	}
	defer stopLeader()

	metrics.Watch(pub, consumer, cfg.Consumers, leader, disp)
	ready := worker.Readiness(pool, pub, consumer, disp, logger)
	srv := handlers.NewHealthServer(ready, metricsHandler, authConfig(cfg), logger)
	if mode == "serve" {
		srv = handlers.NewServer(handlers.Deps{
			Queries: q, DB: pool, Publisher: out, ReadyFunc: ready, Logger: logger, Metrics: metricsHandler,
			Auth: authConfig(cfg), JobsPerMinute: cfg.JobsPerMinute, RunNowPerMinute: cfg.RunNowPerMinute,
			TrustedProxies: cfg.TrustedProxies, Secrets: keys, Channels: notifier,
			BrokerStateFunc: worker.BrokerState(pub),
			// "Send a test request": a client of its own, through the same target rules as runs.
			Tester: worker.NewTester(task.NewExecutor(cfg.Targets.Client(2), cfg.Mail), worker.NewSecrets(q, keys), logger),
		})
	}
	logger.Info("Cronflow started", "mode", mode, "addr", cfg.HTTPAddr, "consumers", cfg.Consumers)
	err = serveHTTP(ctx, cfg.HTTP, ln, srv, logger)
	stop()
	stopLeader()
	stopConsumers()
	stopPub()
	logger.Info("Stopped")
	return err
}

// startConsumers starts the run consumers, then the notice consumers, sharing one executor; the
// function returned stops them in reverse order, letting in-flight work finish.
func startConsumers(ctx context.Context, cfg config, pool *pgxpool.Pool, top broker.Topology, pub *broker.Publisher,
	out *worker.Outbox, keys *secret.Keyring, metrics *worker.Metrics, logger *slog.Logger) (*worker.Consumer, *worker.Notifier, func()) {
	q := sqlcgen.New(pool)
	exec := task.NewExecutor(cfg.Targets.Client(cfg.Consumers), cfg.Mail)
	runner := worker.NewRunner(q, exec, pub, logger)
	runner.Metrics = metrics
	runner.Secrets = worker.NewSecrets(q, keys)
	runner.Alerts = worker.NewAlerter(pool, q, out, logger)
	runner.Slots = worker.NewSlots(cfg.Consumers)
	consumer := worker.NewConsumer(cfg.AMQPURLs, top, cfg.Consumers, cfg.ShutdownGrace, runner.Handle, logger)
	consumer.Prefetch = cfg.Prefetch
	stopRuns := start(ctx, consumer.Run)
	notifier := worker.NewNotifier(q, notify.NewSender(exec, cfg.PublicURL, 30*time.Second), pub, logger)
	notifier.Secrets = runner.Secrets
	notices := worker.NewNoticeConsumer(cfg.AMQPURLs, top, noticeConsumers, cfg.ShutdownGrace, notifier.Handle, logger)
	stopNotices := start(ctx, notices.Run)
	return consumer, notifier, func() { stopNotices(); stopRuns() }
}

// startLeader starts the leader election; the replica that wins runs the dispatcher, the reaper,
// retention, the purger and the scheduler as one set, until it stops leading. The function returned stops it.
func startLeader(ctx context.Context, cfg config, pool *pgxpool.Pool, out *worker.Outbox,
	registry *prometheus.Registry, metrics *worker.Metrics, logger *slog.Logger) (*worker.Leader, *worker.Dispatcher, func()) {
	q := sqlcgen.New(pool)
	leader := worker.NewLeader(pool, 3*time.Second, logger)
	retention := worker.NewRetention(q, cfg.Retention, logger)
	retention.Register(registry)
	disp := worker.NewDispatcher(q, out, logger)
	scheduler := worker.NewScheduler(pool, disp, cfg.CatchUp, logger)
	scheduler.Metrics = metrics
	purger := worker.NewPurger(q, time.Second, logger)
	purger.Register(registry)
	services := worker.NewMaintainer(disp, worker.NewReaper(q, out, logger), retention, purger, scheduler)
	return leader, disp, start(ctx, func(ctx context.Context) { leader.Run(ctx, services.Run) })
}

// authConfig is how the dashboard and API authenticate: with an admin password, or, without one,
// on loopback only unless the operator insists.
func authConfig(cfg config) handlers.AuthConfig {
	return handlers.AuthConfig{Enabled: cfg.AdminPassword != "", MetricsToken: cfg.MetricsToken,
		LoopbackOnly: cfg.AdminPassword == "" && !cfg.InsecureNoAuth, AdminUser: cfg.AdminUser,
		SessionIdle: cfg.SessionIdle, SessionLifetime: cfg.SessionLifetime,
		OIDC: cfg.SSO.OIDC, PasswordLoginOff: cfg.SSO.PasswordLoginOff, Require2FA: cfg.SSO.Require2FA, PublicURL: cfg.PublicURL}
}

// logOutput is where the logs of a command go: stdout, except for export and import, whose stdout
// is the document or what the import did.
func logOutput(mode string, stdout io.Writer) io.Writer {
	if mode == "export" || mode == "import" {
		return os.Stderr
	}
	return stdout
}

// serveHTTP serves srv on ln, within limits, until ctx is done or the server fails, then shuts it
// down, letting requests in progress finish for up to 10 s.
func serveHTTP(ctx context.Context, limits handlers.ServerLimits, ln net.Listener, srv http.Handler, logger *slog.Logger) error {
	httpServer := limits.Server(ln.Addr().String(), srv)
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpServer.Serve(limits.Listener(ln)) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
		err = fmt.Errorf("http server: %w", err)
	}
	logger.Info("Shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := httpServer.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		logger.Warn("HTTP shutdown", "error", serr)
	}
	return err
}

// ensureAdmin creates or updates the admin user, or warns that authentication is off.
func ensureAdmin(ctx context.Context, cfg config, st *store.Store, logger *slog.Logger) error {
	if cfg.AdminPassword == "" {
		logger.Warn("No CRONFLOW_ADMIN_PASSWORD: authentication is off", "addr", cfg.HTTPAddr,
			"loopback_only", !cfg.InsecureNoAuth)
		return nil
	}
	return st.EnsureAdmin(ctx, "environment", cfg.AdminUser, cfg.AdminPassword)
}

// start runs fn in its own goroutine until the returned stop is called, which cancels fn's context
// and waits for fn to return; a second call does nothing. fn's context is not ctx's child: each part
// is stopped by its own stop, in order, so that in-flight runs finish and publish their retries.
func start(ctx context.Context, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	return func() { cancel(); <-done }
}

// importCommand is cronflow import FILE [--dry-run] [--mode=upsert|create]: it imports a document
// straight into the database, as POST /api/import does, and prints what it did.
func importCommand(ctx context.Context, args importArgs, st *store.Store, stdout io.Writer) error {
	file := args.file
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open document: %w", err)
	}
	defer f.Close()
	res, err := st.Import(ctx, "cli", f, store.ImportOptions{Mode: args.mode, DryRun: args.dryRun})
	var invalid *store.InvalidImportError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Jobs {
			for field, problem := range p.Fields {
				fmt.Fprintf(stdout, "job %d (%q): %s %s\n", p.Index, p.Name, field, problem)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	return json.NewEncoder(stdout).Encode(res)
}
