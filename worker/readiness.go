package worker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/worker/broker"
)

// Readiness answers /readyz for a process: the database and both broker connections must be up,
// and on a replica that may lead (disp is not nil) the scheduler must hold no due slots that a
// database outage kept it from storing. A worker-only replica has no leader parts to report on.
func Readiness(pool *pgxpool.Pool, pub *broker.Publisher, consumer *Consumer, disp *Dispatcher,
	logger *slog.Logger) func(ctx context.Context) map[string]string {
	return func(ctx context.Context) map[string]string {
		problems := map[string]string{}
		if err := pool.Ping(ctx); err != nil {
			// The details (hosts, users) are for the log, not for anyone who asks.
			logger.Warn("Not ready: PostgreSQL unreachable", "error", err)
			problems["postgres"] = "unreachable"
		}
		if !pub.Connected() {
			problems["rabbitmq_publisher"] = "not connected"
		} else if blocked, _ := pub.Blocked(); blocked {
			problems["rabbitmq_publisher"] = broker.ErrBlocked.Error()
		}
		if !consumer.Connected() {
			problems["rabbitmq_consumer"] = "not connected"
		}
		if disp == nil {
			return problems
		}
		if n := disp.Held(); n > 0 {
			problems["scheduler"] = fmt.Sprintf("holding %d due slots until the database takes them", n)
		}
		return problems
	}
}

// BrokerState says, for the dashboard's connection state, what keeps runs from reaching the broker
// now, or "" when nothing does. It asks the broker nothing: it reads what the publisher was told.
func BrokerState(pub *broker.Publisher) func() string {
	return func() string {
		if blocked, _ := pub.Blocked(); blocked {
			return "Publishing blocked by RabbitMQ (memory/disk alarm): runs stay queued and are sent when it clears."
		}
		return ""
	}
}
