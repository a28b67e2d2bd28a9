-- Queries of issue 21's run-to-run features: overlap policies, runs made after other runs,
-- backfill and pausing after failures. Kept apart from runs.sql so that the hot path reads as it did.

-- name: RunOverlapDecide :many
-- RunOverlapDecide applies their jobs' overlap policies to the queued runs among ids, before they
-- are claimed (RunClaim). A run "ahead" is an earlier run of the same job that is unsettled:
-- queued, running, or failed and waiting for its retry. They are locked, in id order, so that the
-- decision and the statement that settles a run ahead (RunRecordResults) take turns: either this
-- sees the run settled, or the settle's transaction sees the run this one holds back
-- (RunWaitingReleasable). With none ahead, a run goes on (and stops waiting). Otherwise 'skip'
-- records it as skipped; 'queue' holds it back (waiting_since, unpublished) when exactly one run is
-- ahead, so that at most one waits, and skips it when more are; 'replace' cancels the runs ahead:
-- those not running at once, those running by asking their consumer (cancel_requested_at). It
-- answers what it did to each run it changed.
WITH cand AS (
    SELECT r.id, r.job_id, j.overlap
    FROM runs AS r JOIN jobs AS j ON j.id = r.job_id
    WHERE r.id = ANY(@ids::bigint[]) AND r.status = 'queued'
      AND (j.overlap <> 'allow' OR r.waiting_since IS NOT NULL) -- a job set to allow lets its waiting run go
), ahead AS (
    SELECT e.id, e.job_id, e.status FROM runs AS e
    WHERE e.job_id IN (SELECT cand.job_id FROM cand)
      AND e.id < (SELECT max(c.id) FROM cand AS c WHERE c.job_id = e.job_id)
      AND e.status IN ('queued', 'running', 'failed')
    ORDER BY e.id
    FOR UPDATE OF e
), decided AS (
    SELECT c.id, c.job_id, c.overlap,
        (SELECT count(*) FROM ahead AS a WHERE a.job_id = c.job_id AND a.id < c.id) AS n,
        (SELECT max(a.id) FROM ahead AS a WHERE a.job_id = c.job_id AND a.id < c.id)::bigint AS last_ahead
    FROM cand AS c
), skipped AS (
    UPDATE runs AS r
    SET status = 'skipped', waiting_since = NULL, published_at = COALESCE(r.published_at, clock_timestamp()),
        completed_at = clock_timestamp(),
        error = CASE WHEN d.overlap = 'skip'
                     THEN 'skipped: run ' || d.last_ahead || ' of this job was still unsettled (overlap: skip)'
                     ELSE 'skipped: run ' || d.last_ahead || ' of this job was already waiting (overlap: queue)' END
    FROM decided AS d
    WHERE r.id = d.id AND d.n > 0 AND (d.overlap = 'skip' OR (d.overlap = 'queue' AND d.n > 1))
    RETURNING r.id, r.job_id, r.scheduled_at, r.error, 'skipped'::text AS decision
), waiting AS (
    UPDATE runs AS r
    SET waiting_since = COALESCE(r.waiting_since, clock_timestamp()), published_at = NULL
    FROM decided AS d
    WHERE r.id = d.id AND d.overlap = 'queue' AND d.n = 1
    RETURNING r.id, r.job_id, r.scheduled_at, r.error, 'waiting'::text AS decision
), released AS (
    UPDATE runs AS r
    SET waiting_since = NULL
    FROM decided AS d
    WHERE r.id = d.id AND (d.n = 0 OR d.overlap = 'allow') AND r.waiting_since IS NOT NULL
    RETURNING r.id, r.job_id, r.scheduled_at, r.error, 'released'::text AS decision
), replaced AS (
    UPDATE runs AS r
    SET status = CASE WHEN a.status = 'running' THEN r.status ELSE 'cancelled' END,
        cancel_requested_at = CASE WHEN a.status = 'running' THEN clock_timestamp() END,
        completed_at = CASE WHEN a.status = 'running' THEN r.completed_at ELSE clock_timestamp() END,
        waiting_since = NULL, lease_until = CASE WHEN a.status = 'running' THEN r.lease_until END,
        next_attempt_at = NULL,
        error = 'cancelled: replaced by run ' || d.id || ' (overlap: replace)'
    FROM ahead AS a
    JOIN LATERAL (SELECT max(x.id) AS id FROM decided AS x
                  WHERE x.job_id = a.job_id AND x.id > a.id AND x.overlap = 'replace') AS d ON d.id IS NOT NULL
    WHERE r.id = a.id AND r.cancel_requested_at IS NULL
      AND r.id NOT IN (SELECT decided.id FROM decided)
    RETURNING r.id, r.job_id, r.scheduled_at, r.error,
        (CASE WHEN a.status = 'running' THEN 'cancel_requested' ELSE 'cancelled' END)::text AS decision
)
SELECT * FROM skipped
UNION ALL SELECT * FROM waiting
UNION ALL SELECT * FROM released
UNION ALL SELECT * FROM replaced;

-- name: RunWaitingReleasable :many
-- RunWaitingReleasable finds the runs of these jobs held back by overlap 'queue' that have no run
-- ahead any more, in the transaction that settles a run, to be published once it commits.
SELECT r.id, r.job_id FROM runs AS r
WHERE r.job_id = ANY(@job_ids::bigint[]) AND r.status = 'queued' AND r.waiting_since IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM runs AS e
                  WHERE e.job_id = r.job_id AND e.id < r.id AND e.status IN ('queued', 'running', 'failed'))
ORDER BY r.id;

-- name: RunCancelRequested :one
-- RunCancelRequested tells the consumer running a run whether a later run has asked it to stop.
SELECT (cancel_requested_at IS NOT NULL)::boolean AS requested FROM runs WHERE id = @id;

-- name: RunCancelAbandoned :execrows
-- RunCancelAbandoned settles as cancelled the runs whose cancel was asked for while their
-- consumer died: nobody is left to record it.
UPDATE runs
SET status = 'cancelled', completed_at = clock_timestamp(), lease_until = NULL
WHERE status = 'running' AND cancel_requested_at IS NOT NULL AND lease_until < clock_timestamp();

-- name: RunInsertAfter :many
-- RunInsertAfter makes the runs of the jobs that run after these settled runs: one per job whose
-- after_job_id is the settled run's job and whose after_on matches how it settled, keyed by
-- (job, upstream run) so that a settle replayed makes none twice. Paused jobs get none.
INSERT INTO runs (job_id, scheduled_at, trigger, trigger_run_id)
SELECT j.id, clock_timestamp(), 'after', u.run_id
FROM (SELECT unnest(@job_ids::bigint[]) AS job_id, unnest(@run_ids::bigint[]) AS run_id,
             unnest(@statuses::text[]) AS status) AS u
JOIN jobs AS j ON j.after_job_id = u.job_id AND NOT j.paused
WHERE (j.after_on = 'success' AND u.status = 'completed')
   OR (j.after_on = 'failure' AND u.status = 'permanently_failed')
   OR (j.after_on = 'settled' AND u.status IN ('completed', 'permanently_failed', 'cancelled'))
ORDER BY u.run_id, j.id
ON CONFLICT (job_id, trigger_run_id) WHERE trigger_run_id IS NOT NULL DO NOTHING
RETURNING id, job_id;

-- name: JobAfterChain :many
-- JobAfterChain follows the after links from a job upstream, for the cycle check: the ids of the
-- job, the job it runs after, that job's, and so on (at most 1000).
WITH RECURSIVE chain(id, depth) AS (
    SELECT j.id, 0 FROM jobs AS j WHERE j.id = @id
    UNION ALL
    SELECT j.after_job_id, c.depth + 1 FROM chain AS c JOIN jobs AS j ON j.id = c.id
    WHERE j.after_job_id IS NOT NULL AND c.depth < 1000
)
SELECT chain.id::bigint FROM chain;

-- name: JobPauseAfterFailures :one
-- JobPauseAfterFailures pauses a job that failed for good pause_after_failures times in a row, and
-- says why. A job already paused is left alone (no row back).
UPDATE jobs
SET paused = true, paused_reason = @reason, updated_at = clock_timestamp()
WHERE id = @id AND NOT paused AND pause_after_failures > 0
RETURNING id, name, pause_after_failures;

-- name: RunInsertBackfill :many
-- RunInsertBackfill makes one run per slot of a job; a slot that already has a run keeps it. It
-- answers the runs it made.
INSERT INTO runs (job_id, scheduled_at, trigger)
SELECT @job_id, s.slot, 'backfill'
FROM unnest(@slots::timestamptz[]) AS s(slot)
ORDER BY s.slot
ON CONFLICT (job_id, scheduled_at) DO NOTHING
RETURNING id, job_id;

-- name: RunInsertManualWithParams :one
-- RunInsertManualWithParams is RunInsertManual with the params the run uses.
INSERT INTO runs (job_id, scheduled_at, trigger, params)
VALUES (@job_id, clock_timestamp(), 'manual', @params)
RETURNING *;

-- name: RunCountAtSlots :one
-- RunCountAtSlots counts the slots of a job that already have a run: a backfill's preview says how
-- many runs it would make (issue 27).
SELECT count(*) FROM runs WHERE job_id = @job_id AND scheduled_at = ANY(@slots::timestamptz[]);
