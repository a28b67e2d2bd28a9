package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/task"
)

// noticeLease is how long a notice may stay claimed before another consumer may take it over: the
// sender's timeout and a margin.
const (
	noticeTimeout = 30 * time.Second
	noticeLease   = noticeTimeout + leaseMargin
)

// NoticeRetryDelays are the waits before each retry of a notice that could not be delivered: six
// attempts over about 40 minutes, then it is failed for good (its channel's page says so).
var NoticeRetryDelays = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}

// NoticeRetryPublisher publishes a notice again after a delay; the broker's publisher is one.
type NoticeRetryPublisher interface {
	PublishNoticeRetry(ctx context.Context, id int64, delay time.Duration) error
}

// Notifier delivers notices, one delivery of the notice queue at a time, as the runner runs runs:
// claim the notice, send it, record what came of it, then ack. A notice that is sent, or taken by
// someone else, is never sent again by a duplicate message; the idempotency key it carries (the
// same on every attempt) lets a receiver drop the one resend that a crash between sending and
// recording can cause.
type Notifier struct {
	q      *sqlcgen.Queries
	sender *notify.Sender
	pub    NoticeRetryPublisher
	logger *slog.Logger
	// RetryDelays are the waits before each retry; NoticeRetryDelays unless a test sets them.
	RetryDelays []time.Duration
	// Secrets opens the channels' sealed signing secrets; nil (no CRONFLOW_SECRET_KEY) leaves
	// plain ones as they are.
	Secrets *Secrets
}

// NewNotifier returns a notifier that sends through sender and publishes retries through pub.
func NewNotifier(q *sqlcgen.Queries, sender *notify.Sender, pub NoticeRetryPublisher, logger *slog.Logger) *Notifier {
	return &Notifier{q: q, sender: sender, pub: pub, logger: logger, RetryDelays: NoticeRetryDelays}
}

// Handle delivers the notice a message names, by the delivery protocol (runner.go). Like
// Runner.Handle, it answers every delivery: a message that names no notice is dead-lettered, one
// whose notice is done or taken is acked.
func (n *Notifier) Handle(ctx context.Context, d amqp.Delivery) {
	m, err := runmsg.DecodeNotice(d.Body)
	if err != nil {
		deadLetterUndecodable(n.logger, d, "notice", err)
		return
	}
	logger := n.logger.With("notice_id", m.NoticeID)
	c, err := claim(ctx, d, logger, "notice", func(ctx context.Context) (sqlcgen.NoticeClaimRow, error) {
		return n.q.NoticeClaim(ctx, sqlcgen.NoticeClaimParams{ID: m.NoticeID, LeaseMs: noticeLease.Milliseconds()})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		logger.Info("Notice message dropped: the notice is done, gone, taken or waiting for its retry")
		answer(d, false)
		return
	}
	if err == nil {
		n.attempt(ctx, d, c, logger.With("channel", c.ChannelName, "event", c.Event, "attempt", c.Attempts))
	}
}

// attempt takes a claimed notice through the rest of the protocol: it sends the notice, decides
// what came of it, then records that once and answers the delivery once.
func (n *Notifier) attempt(ctx context.Context, d amqp.Delivery, c sqlcgen.NoticeClaimRow, logger *slog.Logger) {
	output, sendErr := n.execute(ctx, c)
	rec := n.outcome(c, output, sendErr)
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if !record(ctx, rctx, d, logger, "notice", func(ctx context.Context) (bool, error) {
		rows, err := n.q.NoticeRecord(ctx, rec)
		return rows > 0, err
	}) {
		return
	}
	logger.Info("Notice "+rec.Status, "error", rec.Error)
	if rec.Status == "retrying" {
		n.publishRetry(rctx, c.ID, time.Duration(rec.RetryInMs)*time.Millisecond, logger)
	}
	answer(d, false)
}

// execute sends a claimed notice once.
func (n *Notifier) execute(ctx context.Context, c sqlcgen.NoticeClaimRow) (string, error) {
	var e notify.Event
	if err := json.Unmarshal(c.Details, &e); err != nil {
		return "", fmt.Errorf("decode notice %d: %w", c.ID, err)
	}
	current, previous, err := n.Secrets.openSigning(c.SigningSecret, c.PreviousSigningSecret)
	if err != nil {
		return "", err
	}
	ch := notify.Channel{Type: c.ChannelType, Config: c.Config, SigningSecrets: []string{current}}
	if previous != "" {
		ch.SigningSecrets = append(ch.SigningSecrets, previous)
	}
	return n.sender.Send(ctx, ch, e, fmt.Sprintf("cronflow-notice-%d", c.ID))
}

// outcome decides what a delivery attempt comes to: sent, a retry after the next delay, or failed
// for good once the delays are used up.
func (n *Notifier) outcome(c sqlcgen.NoticeClaimRow, output string, sendErr error) sqlcgen.NoticeRecordParams {
	rec := sqlcgen.NoticeRecordParams{ID: c.ID, Attempt: c.Attempts, Status: "sent", Output: task.Storable(output, maxOutput)}
	if sendErr == nil {
		return rec
	}
	rec.Error = task.Storable(sendErr.Error(), maxError)
	if retry := int(c.Attempts) - 1; retry < len(n.RetryDelays) {
		rec.Status, rec.RetryInMs = "retrying", n.RetryDelays[retry].Milliseconds()
		return rec
	}
	rec.Status = "failed"
	return rec
}

// publishRetry publishes a notice to wait out its delay in the broker (runner.go).
func (n *Notifier) publishRetry(ctx context.Context, id int64, delay time.Duration, logger *slog.Logger) {
	publishRetry(logger, "notice", func() error { return n.pub.PublishNoticeRetry(ctx, id, delay) },
		func() error { return n.q.NoticeMarkPublished(ctx, []int64{id}) })
}

// SendTest sends a test notice to a channel now, records it among the channel's deliveries, and
// returns it as recorded. It is not queued or retried: the person who asked is waiting for the
// answer.
func (n *Notifier) SendTest(ctx context.Context, ch sqlcgen.Channel) (sqlcgen.Notice, error) {
	details, err := json.Marshal(notify.Event{Event: notify.Test, Channel: ch.Name, At: time.Now().UTC()})
	if err != nil {
		return sqlcgen.Notice{}, fmt.Errorf("encode test notice: %w", err)
	}
	notice, err := n.q.NoticeInsertTest(ctx, sqlcgen.NoticeInsertTestParams{ChannelID: ch.ID, Details: details})
	if err != nil {
		return notice, fmt.Errorf("store test notice: %w", err)
	}
	claim := sqlcgen.NoticeClaimRow{ID: notice.ID, Event: notice.Event, Attempts: notice.Attempts, Details: details,
		ChannelName: ch.Name, ChannelType: ch.Type, Config: ch.Config, SigningSecret: ch.SigningSecret}
	if ch.PreviousSigningSecret != nil && ch.PreviousSecretUntil != nil && ch.PreviousSecretUntil.After(time.Now()) {
		claim.PreviousSigningSecret = *ch.PreviousSigningSecret
	}
	output, sendErr := n.execute(ctx, claim)
	rec := n.outcome(claim, output, sendErr)
	if sendErr != nil {
		rec.Status, rec.RetryInMs = "failed", 0
	}
	if _, err := n.q.NoticeRecord(context.WithoutCancel(ctx), rec); err != nil {
		return notice, fmt.Errorf("record test notice: %w", err)
	}
	notice.Status, notice.Output, notice.Error = rec.Status, rec.Output, rec.Error
	return notice, nil
}
