// Package worker runs the run lifecycle: the leader election, the scheduler that turns cron
// firings into due slots, the dispatcher that stores them as runs, the outbox that publishes what
// is stored, the reaper that publishes what was lost, and the consumers whose runner executes,
// retries and records every run.
//
// # One run, step by step
//
// The database row is the truth; a message only carries a run's identity. The files are named
// after the types that do each step.
//
//  1. Cron (scheduler.go, scheduler_table.go, scheduler_entry.go). On the leader only, the
//     Scheduler keeps a timetable of every active job's next slot, from its robfig/cron schedule,
//     in line with the jobs table (read once at start, after it listens for changes). It hands
//     each slot to the Dispatcher (Dispatcher.Due) fireAhead before it comes (up to maxFireAhead
//     for a slot thousands of jobs share).
//     Which replica leads is decided by a PostgreSQL advisory lock (leader.go); the Maintainer
//     (maintainer.go) starts the leader's services in order and stops them in reverse.
//  2. Dispatch (dispatcher.go). The Dispatcher gathers the slots of a second into batches and
//     inserts their runs, keyed by (job, slot), so that no slot gets a second run; a slot in one of
//     the job's blackouts is stored as a skipped run and never published. A job's slots come from
//     schedule.Job (its H tokens and jitter offset chosen from its id, within its start and end),
//     which the schedule preview answers from too. Each job's next
//     run is noted and written a moment later (dispatcher_notes.go). While the database is out of
//     reach the slots are held and stored later (dispatcher_backlog.go); slots that passed without
//     a run are the catch-up's to decide (scheduler_catchup.go, which tells that handshake whole).
//  3. Publish (outbox.go). The Outbox publishes stored runs, persistent, and counts a run published
//     once the broker confirms it (broker/publisher.go). It serves every replica: the
//     Dispatcher's batches, "Run now" and retries from the dashboard and the API, and alert
//     notices. A run left unpublished is published again by the Reaper (reaper.go, leader only).
//  4. Consume (consumer.go). A Consumer takes deliveries from the work queue, up to its prefetch
//     unanswered, and hands each to Runner.Handle (runner.go) in a goroutine of its own.
//  5. Claim (runner.go, runner_batch.go, batcher.go). The Runner claims the run with a
//     conditional UPDATE … RETURNING, batched with the claims of the other deliveries. No row back
//     means the run is finished, taken or waiting for its retry: the delivery is acked. A run of a
//     job whose overlap is not allow first has the policy applied in SQL (runner_overlap.go): a
//     slot due while an earlier run of its job is unsettled is skipped, held back until that run
//     settles (queue), or runs while the earlier one is cancelled (replace); the claim of the
//     others checks that their overlap is allow and needs no decision.
//  6. Execute (runner.go, runner_task.go, slots.go, runner_lease.go). Not before its slot (a
//     timer), the run takes one of the CONSUMERS execution slots (Slots), holding it only while its
//     task runs under its timeout (package task), with the secrets its payload names opened
//     (secrets.go), its signing secrets opened when they are stored sealed (secrets_signing.go),
//     its params and the run it was made after. An attempt of a job whose overlap is replace
//     watches for a later run's request to stop, and ends cancelled. While a run waits for a
//     slot, its claim's lease is renewed, so that it is not taken for lost.
//  7. Record (runner_outcome.go, runner_record.go, alerter_record.go). What the attempt came to is
//     decided first, then recorded once, batched (holding no execution slot), in one transaction
//     with the alert step for the runs that settled (alerter.go) and what their settling calls for
//     (alerter_settle.go): the
//     slot waiting behind them is let go, the jobs that run after theirs get a run each, and a
//     job that failed pause_after_failures runs in a row pauses itself. Those runs are published
//     once the transaction has committed.
//  8. Retry or ack (runner.go). A failed attempt that may be retried is published to a retry queue
//     to wait out its delay; then the delivery is acked, or dead-lettered when the run failed for
//     good.
//  9. Alert (alerter.go, outbox.go, notifier.go). A job that starts failing or recovers gets one
//     notice per channel, made in the recording transaction and published by the Outbox once it
//     has committed. A Notifier answers the notice queue by the same delivery protocol as the
//     Runner (decode, claim, execute, outcome, record, publishRetry, answer) and sends each
//     notice through package notify. The rules that cut noise (alerter_rules.go) decide with the
//     same step: a run counts once it settled, after its last retry; a failing job is reminded
//     (alerts.repeat) by its next failed run once the interval has passed, with no timer of its
//     own; and a job that fails again within alerts.flap_window of recovering is held, unannounced.
//     A slot the catch-up records as missed is told of (job.missed) to the channels of a job whose
//     alerts.on names "missed", in the transaction that records it (scheduler_missed.go).
//
// Beside the pipeline: retrydb.go waits out database outages, retention.go deletes old runs on the
// leader and purger.go the runs of deleted jobs, metrics.go and readiness.go report on a process. broker/blocked.go follows RabbitMQ's
// back-pressure (connection.blocked), during which nothing is published and runs wait in the
// database; reaper_outage.go keeps the reaper from taking runs from consumers that only could not
// record them while the database was out of reach. A worker-only replica (`cronflow
// worker`) runs steps 3 to 9 and builds none of the leader's parts.
package worker
