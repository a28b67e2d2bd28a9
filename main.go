// Command cronflow is a self-hosted cron service: jobs are scheduled from PostgreSQL, executed
// through RabbitMQ, and every run is recorded and shown on a dashboard.
//
// Usage:
//
//	cronflow [serve]   HTTP dashboard and API, the scheduler (one leader among replicas) and consumers
//	cronflow worker    consumers only, for scaled-out replicas, with /healthz and /readyz
//	cronflow migrate   migrate the database and exit
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/task"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cronflow:", err)
		os.Exit(1)
	}
}

// run starts Cronflow and blocks until ctx is done or SIGINT/SIGTERM arrives, then stops it in
// reverse order: HTTP, the scheduler, the consumers (letting in-flight runs finish), the publisher.
// It is longer than 60 lines on purpose: it is the one place that reads as the wiring, the start
// order and the stop order, top to bottom.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	mode, err := parseMode(args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(mode, getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	pool, err := queries.OpenPool(ctx, cfg.DatabaseURL, int32(cfg.Consumers+10), logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := queries.Migrate(ctx, pool, logger); err != nil {
		return err
	}
	if mode == "migrate" {
		return nil
	}
	q := sqlcgen.New(pool)
	top := broker.NewTopology(cfg.AMQPPrefix)
	if mode == "serve" {
		if err := ensureAdmin(ctx, cfg, q, logger); err != nil {
			return err
		}
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := worker.NewMetrics(registry)
	metricsHandler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})

	// Start order: the publisher (consumers publish retries until they are done), the consumers,
	// then, on the leader only, the dispatcher, the reaper and the scheduler. Each is stopped in
	// reverse order, after HTTP.
	pub := broker.NewPublisher(cfg.AMQPURLs, top, logger)
	stopPub := start(ctx, pub.Run)
	defer stopPub()

	exec := task.NewExecutor(task.NewHTTPClient(cfg.Consumers, cfg.AllowPrivateTargets), cfg.Mail)
	runner := worker.NewRunner(q, exec, pub, logger)
	runner.Metrics = metrics
	consumer := worker.NewConsumer(cfg.AMQPURLs, top, cfg.Consumers, cfg.ShutdownGrace, runner.Handle, logger)
	stopConsumers := start(ctx, consumer.Run)
	defer stopConsumers()

	disp := worker.NewDispatcher(q, pub, logger)
	var leader *worker.Leader
	stopLeader := func() {}
	if mode == "serve" {
		leader = worker.NewLeader(pool, 3*time.Second, logger)
		scheduler := worker.NewScheduler(pool, disp, cfg.CatchUp, logger)
		scheduler.Metrics = metrics
		services := worker.NewMaintainer(disp, worker.NewReaper(q, disp, logger), scheduler)
		stopLeader = start(ctx, func(ctx context.Context) { leader.Run(ctx, services.Run) })
	}
	defer stopLeader()

	metrics.Watch(pub, consumer, cfg.Consumers, leader, disp)
	ready := readyFunc(pool, pub, consumer, disp, logger)
	srv := handlers.NewHealthServer(ready, metricsHandler, cfg.MetricsToken, logger)
	if mode == "serve" {
		srv = handlers.NewServer(handlers.Deps{
			Queries: q, Publisher: disp, ReadyFunc: ready, Logger: logger, Metrics: metricsHandler,
			Auth: handlers.AuthConfig{Enabled: cfg.AdminPassword != "", MetricsToken: cfg.MetricsToken,
				LoopbackOnly: cfg.AdminPassword == "" && !cfg.InsecureNoAuth},
			JobsPerMinute: cfg.JobsPerMinute, TrustedProxies: cfg.TrustedProxies,
		})
	}
	logger.Info("Cronflow started", "mode", mode, "addr", cfg.HTTPAddr, "consumers", cfg.Consumers)
	err = serveHTTP(ctx, cfg.HTTPAddr, srv, logger)
	stop()
	stopLeader()
	stopConsumers()
	stopPub()
	logger.Info("Stopped")
	return err
}

// parseMode reads the command: serve (the default), worker or migrate.
func parseMode(args []string) (string, error) {
	mode := "serve"
	if len(args) > 1 {
		mode = args[1]
	}
	switch mode {
	case "serve", "worker", "migrate":
		return mode, nil
	}
	return "", fmt.Errorf("unknown command %q: use serve, worker or migrate", mode)
}

// serveHTTP serves srv on addr until ctx is done or the server fails, then shuts it down, letting
// requests in progress finish for up to 10 s.
func serveHTTP(ctx context.Context, addr string, srv http.Handler, logger *slog.Logger) error {
	httpServer := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpServer.ListenAndServe() }()
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
func ensureAdmin(ctx context.Context, cfg config, q *sqlcgen.Queries, logger *slog.Logger) error {
	if cfg.AdminPassword == "" {
		logger.Warn("No CRONFLOW_ADMIN_PASSWORD: authentication is off", "addr", cfg.HTTPAddr,
			"loopback_only", !cfg.InsecureNoAuth)
		return nil
	}
	return handlers.EnsureAdmin(ctx, q, cfg.AdminUser, cfg.AdminPassword)
}

// readyFunc answers /readyz: the database and both broker connections must be up, and the
// scheduler must hold no due slots that a database outage kept it from storing.
func readyFunc(pool *pgxpool.Pool, pub *broker.Publisher, consumer *worker.Consumer, disp *worker.Dispatcher, logger *slog.Logger) func(ctx context.Context) map[string]string {
	return func(ctx context.Context) map[string]string {
		problems := map[string]string{}
		if err := pool.Ping(ctx); err != nil {
			// The details (hosts, users) are for the log, not for anyone who asks.
			logger.Warn("Not ready: PostgreSQL unreachable", "error", err)
			problems["postgres"] = "unreachable"
		}
		if !pub.Connected() {
			problems["rabbitmq_publisher"] = "not connected"
		}
		if !consumer.Connected() {
			problems["rabbitmq_consumer"] = "not connected"
		}
		if n := disp.Held(); n > 0 {
			problems["scheduler"] = fmt.Sprintf("holding %d due slots until the database takes them", n)
		}
		return problems
	}
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
