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
	"sync"
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
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cronflow:", err)
		os.Exit(1)
	}
}

// run starts Cronflow and blocks until ctx is done or SIGINT/SIGTERM arrives, then stops it in
// reverse order: HTTP, the scheduler, the consumers (letting in-flight runs finish), the publisher.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	mode := "serve"
	if len(args) > 1 {
		mode = args[1]
	}
	switch mode {
	case "serve", "worker", "migrate":
	default:
		return fmt.Errorf("unknown command %q: use serve, worker or migrate", mode)
	}
	cfg, err := loadConfig(mode, getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	pool, err := openPool(ctx, cfg, logger)
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
	top := worker.NewTopology(cfg.AMQPPrefix)
	if mode == "serve" {
		if cfg.AdminPassword != "" {
			if err := handlers.EnsureAdmin(ctx, q, cfg.AdminUser, cfg.AdminPassword); err != nil {
				return err
			}
		} else {
			logger.Warn("No CRONFLOW_ADMIN_PASSWORD: authentication is off", "addr", cfg.HTTPAddr,
				"loopback_only", !cfg.InsecureNoAuth)
		}
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := worker.NewMetrics(registry)
	metricsHandler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})

	var wg sync.WaitGroup
	start := func(ctx context.Context, fn func(ctx context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}

	// The publisher goes first and stops last: consumers publish retries until they are done.
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPub()
	pub := worker.NewPublisher(cfg.AMQPURLs[0], top, logger)
	var pubDone sync.WaitGroup
	pubDone.Add(1)
	go func() { defer pubDone.Done(); pub.Run(pubCtx) }()
	defer pubDone.Wait()

	exec := worker.NewExecutor(worker.NewHTTPClient(cfg.Consumers, cfg.AllowPrivateTargets), cfg.Mail)
	runner := worker.NewRunner(q, exec, pub, logger)
	runner.Metrics = metrics
	consumer := worker.NewConsumer(cfg.AMQPURLs[0], top, cfg.Consumers, cfg.ShutdownGrace, runner, logger)
	consumerCtx, stopConsumers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsumers()
	var consumersDone sync.WaitGroup
	consumersDone.Add(1)
	go func() { defer consumersDone.Done(); consumer.Run(consumerCtx) }()

	disp := worker.NewDispatcher(q, pub, logger)
	var leader *worker.Leader
	if mode == "serve" {
		leader = worker.NewLeader(pool, 3*time.Second, logger)
		scheduler := worker.NewScheduler(pool, disp, cfg.CatchUp, logger)
		reaper := worker.NewReaper(q, disp, logger)
		start(ctx, func(ctx context.Context) {
			leader.Run(ctx, func(ctx context.Context) error {
				// One term of leadership: the dispatcher and the reaper live as long as the scheduler.
				ctx, cancel := context.WithCancel(ctx)
				var lead sync.WaitGroup
				lead.Add(2)
				go func() { defer lead.Done(); disp.Run(ctx) }()
				go func() { defer lead.Done(); reaper.Run(ctx) }()
				err := scheduler.Run(ctx)
				cancel()
				lead.Wait()
				return err
			})
		})
	}

	ready := func(ctx context.Context) map[string]string {
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
		return problems
	}
	metrics.Watch(pub, consumer, cfg.Consumers, leader)
	var srv http.Handler
	if mode == "serve" {
		srv = handlers.NewServer(handlers.Deps{
			Queries: q, Publisher: disp, ReadyFunc: ready, Logger: logger, Metrics: metricsHandler,
			Auth: handlers.AuthConfig{Enabled: cfg.AdminPassword != "", MetricsToken: cfg.MetricsToken,
				LoopbackOnly: cfg.AdminPassword == "" && !cfg.InsecureNoAuth},
			JobsPerMinute:  cfg.JobsPerMinute,
			TrustedProxies: cfg.TrustedProxies,
		})
	} else {
		srv = handlers.NewHealthServer(ready, metricsHandler, cfg.MetricsToken, logger)
	}
	httpServer := &http.Server{Addr: cfg.HTTPAddr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpServer.ListenAndServe() }()
	logger.Info("Cronflow started", "mode", mode, "addr", cfg.HTTPAddr, "consumers", cfg.Consumers)

	select {
	case <-ctx.Done():
	case err = <-httpErr:
		err = fmt.Errorf("http server: %w", err)
		stop()
	}
	logger.Info("Shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := httpServer.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		logger.Warn("HTTP shutdown", "error", serr)
	}
	wg.Wait() // the scheduler has stopped
	stopConsumers()
	consumersDone.Wait()
	stopPub()
	logger.Info("Stopped")
	return err
}

// openPool connects to PostgreSQL, waiting up to 30 s for it to come up.
func openPool(ctx context.Context, cfg config, logger *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = int32(cfg.Consumers + 10)
	// If this host dies without closing its connections, PostgreSQL notices within about 10 s and
	// frees the scheduler lock for another replica, instead of after its default two hours.
	for k, v := range map[string]string{"tcp_keepalives_idle": "4", "tcp_keepalives_interval": "2",
		"tcp_keepalives_count": "3", "tcp_user_timeout": "10000"} {
		pcfg.ConnConfig.RuntimeParams[k] = v
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", pcfg.ConnConfig.Host, err)
		}
		logger.Warn("Waiting for PostgreSQL", "error", err)
		time.Sleep(time.Second)
	}
}
