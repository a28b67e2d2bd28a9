package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// Outbox publishes runs and notices that are already stored, on every replica: the runs that "Run
// now" and retries from the dashboard or the API make, the notices the alert step makes, what the
// reaper finds orphaned, and the Dispatcher's batches on the leader. The row is stored first, so a
// publish the broker does not confirm loses nothing: the run or notice stays unpublished, and the
// reaper publishes it again. Retries of failed attempts are not its business: the runner and the
// notifier publish them straight to their retry queues (publishRetry, runner.go).
type Outbox struct {
	q      *sqlcgen.Queries
	pub    *broker.Publisher
	logger *slog.Logger
}

// NewOutbox returns an outbox that publishes through pub and records through q what pub confirmed.
func NewOutbox(q *sqlcgen.Queries, pub *broker.Publisher, logger *slog.Logger) *Outbox {
	return &Outbox{q: q, pub: pub, logger: logger}
}

// reconnectWait is how long a publish cut off by the loss of its broker node waits for the
// connection to move to another node, to publish the rest there.
const reconnectWait = 2 * time.Second

// Publish publishes runs that are already stored and records which ones the broker confirmed.
func (o *Outbox) Publish(ctx context.Context, msgs []runmsg.Message) {
	published := o.publish(ctx, msgs)
	if len(published) == 0 {
		return
	}
	if err := o.q.RunMarkPublished(ctx, published); err != nil {
		o.logger.Warn("Mark runs published failed", "error", err)
	}
}

// publish publishes runs that are already stored and returns the ids of those the broker
// confirmed. If the broker node went away under the publish, the rest are published again once the
// connection is on another node; runs still unconfirmed are published again by the reaper.
func (o *Outbox) publish(ctx context.Context, msgs []runmsg.Message) []int64 {
	if len(msgs) == 0 {
		return nil
	}
	lost := o.pub.Reconnects()
	published, err := o.pub.PublishRuns(ctx, msgs)
	// The connection was there when the publish began, and went away under it.
	cutOff := !errors.Is(err, broker.ErrNotConnected) && (o.pub.Reconnects() > lost || !o.pub.Connected())
	if err != nil && cutOff && len(published) < len(msgs) {
		wait := retry.WithMaxDuration(reconnectWait, retry.NewConstant(50*time.Millisecond))
		if retry.Do(ctx, wait, func(context.Context) error {
			if !o.pub.Connected() {
				return retry.RetryableError(broker.ErrNotConnected)
			}
			return nil
		}) == nil {
			var more []int64
			more, err = o.pub.PublishRuns(ctx, unconfirmed(msgs, published))
			published = append(published, more...)
		}
	}
	if err != nil {
		// While RabbitMQ blocks publishing, that is logged once when it starts (broker/blocked.go).
		level := slog.LevelWarn
		if errors.Is(err, broker.ErrBlocked) {
			level = slog.LevelDebug
		}
		o.logger.Log(ctx, level, "Publish runs failed; the reaper will publish them", "error", err,
			"runs", len(msgs), "published", len(published))
	}
	return published
}

// PublishNotices publishes stored notices and records which ones the broker confirmed; the others
// are published again by the reaper.
func (o *Outbox) PublishNotices(ctx context.Context, ids []int64) {
	if len(ids) == 0 {
		return
	}
	published, err := o.pub.PublishNotices(ctx, ids)
	if err != nil {
		o.logger.Warn("Publish notices failed; the reaper will publish them", "error", err, "notices", len(ids))
	}
	if len(published) == 0 {
		return
	}
	if err := o.q.NoticeMarkPublished(ctx, published); err != nil {
		o.logger.Warn("Mark notices published failed", "error", err)
	}
}

// unconfirmed returns the messages whose runs are not in confirmed.
func unconfirmed(msgs []runmsg.Message, confirmed []int64) []runmsg.Message {
	done := make(map[int64]bool, len(confirmed))
	for _, id := range confirmed {
		done[id] = true
	}
	var rest []runmsg.Message
	for _, m := range msgs {
		if !done[m.RunID] {
			rest = append(rest, m)
		}
	}
	return rest
}
