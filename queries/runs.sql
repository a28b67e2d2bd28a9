-- name: RunInsertScheduled :many
-- RunInsertScheduled makes one run per (job, slot). A slot that already has a run, or a job that is
-- paused or gone, gets none: that is what keeps two schedulers from doubling a run. A slot recorded
-- as missed (a catch-up gave up on it while it was on its way, held by a leader that waited out a
-- database outage) becomes a run after all: it is still one run. A slot in one of the job's
-- blackouts is a run too, 'skipped' with the reason "blackout", and is not returned, so it is
-- never published (issue 21).
WITH made AS (
INSERT INTO runs (job_id, scheduled_at, trigger, status, error)
SELECT u.job_id, u.scheduled_at, 'schedule',
       CASE WHEN cronflow_in_blackout(j.blackouts, u.scheduled_at) THEN 'skipped' ELSE 'queued' END,
       CASE WHEN cronflow_in_blackout(j.blackouts, u.scheduled_at) THEN 'blackout' ELSE '' END
FROM (SELECT unnest(@job_ids::bigint[]) AS job_id, unnest(@scheduled_ats::timestamptz[]) AS scheduled_at) AS u
JOIN jobs AS j ON j.id = u.job_id AND NOT j.paused
ORDER BY u.scheduled_at -- ids oldest first: a catch-up's runs are made in the order of their slots
ON CONFLICT (job_id, scheduled_at) DO UPDATE
    SET status = EXCLUDED.status, error = EXCLUDED.error, created_at = clock_timestamp()
    WHERE runs.status = 'missed'
RETURNING id, job_id, status
)
SELECT id, job_id FROM made WHERE status = 'queued';

-- name: RunInsertMissed :many
-- RunInsertMissed records slots that were not run, each with the reason, as missed runs. A slot
-- that has a run keeps it.
-- A slot in one of the job's blackouts is 'skipped', "blackout", whatever else kept it from running.
-- It returns the runs it made, so that the missed ones can be told of (NoticeInsertMissed).
INSERT INTO runs (job_id, scheduled_at, trigger, status, error)
SELECT u.job_id, u.scheduled_at, 'schedule',
       CASE WHEN cronflow_in_blackout(j.blackouts, u.scheduled_at) THEN 'skipped' ELSE 'missed' END,
       CASE WHEN cronflow_in_blackout(j.blackouts, u.scheduled_at) THEN 'blackout' ELSE u.reason END
FROM (SELECT unnest(@job_ids::bigint[]) AS job_id, unnest(@scheduled_ats::timestamptz[]) AS scheduled_at,
             unnest(@reasons::text[]) AS reason) AS u
JOIN jobs AS j ON j.id = u.job_id
ON CONFLICT (job_id, scheduled_at) DO NOTHING
RETURNING id, job_id, scheduled_at, status, error;

-- name: RunInsertManual :one
INSERT INTO runs (job_id, scheduled_at, trigger)
VALUES (@job_id, clock_timestamp(), 'manual')
RETURNING *;

-- name: RunGet :one
-- RunGet is a run, by id. A run of a deleted job, still waiting for the purger, is not found.
SELECT * FROM runs WHERE runs.id = @id AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = runs.job_id);

-- name: RunList :many
-- RunList pages through runs newest first, below a keyset cursor. Each filter shape has its own
-- query (see RunPageBefore for why "(@x IS NULL OR col = @x)" is avoided). These lists leave out
-- the runs of a deleted job that the purger has not deleted yet.
SELECT * FROM runs
WHERE runs.id < @before_id AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = runs.job_id)
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunListByJob :many
SELECT * FROM runs
WHERE job_id = @job_id AND runs.id < @before_id AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = @job_id)
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunListByStatus :many
SELECT * FROM runs
WHERE status = @status AND runs.id < @before_id AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = runs.job_id)
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunListByJobAndStatus :many
SELECT * FROM runs
WHERE job_id = @job_id AND status = @status AND runs.id < @before_id AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = @job_id)
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunListByTag :many
-- RunListByTag is RunList for the runs of jobs that have a tag (issue 27), with the job and status
-- filters optional: the tag narrows the jobs first, through their GIN index.
SELECT runs.* FROM runs
WHERE runs.job_id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[@tag::text])
  AND (sqlc.narg(job_id)::bigint IS NULL OR runs.job_id = sqlc.narg(job_id)::bigint)
  AND (sqlc.narg(status)::text IS NULL OR runs.status = sqlc.narg(status)::text)
  AND runs.id < @before_id
ORDER BY runs.id DESC
LIMIT @max_rows;

-- name: RunMarkPublished :exec
-- RunMarkPublished records that the broker confirmed these runs' messages. It skips a row that
-- another statement holds instead of waiting for it: the consumers may be claiming these very runs
-- already, each batch locking its rows in its own order, and two such statements waiting for each
-- other deadlock until PostgreSQL's deadlock_timeout (a second) aborts one. A claim records the
-- publish itself (RunClaim), and a run being settled no longer needs it.
UPDATE runs SET published_at = clock_timestamp()
WHERE id IN (SELECT id FROM runs
             WHERE id = ANY(@ids::bigint[]) AND status IN ('queued', 'failed', 'running')
             FOR UPDATE SKIP LOCKED);

-- name: RunMarkPublishedLate :exec
-- RunMarkPublishedLate records, a while after the broker confirmed them, the publishes of runs
-- that are still waiting to be claimed, each at the time the broker confirmed it. A run claimed
-- meanwhile is left alone: its claim recorded the publish (RunClaim), and the write is saved. Rows
-- another statement holds are skipped, as in RunMarkPublished.
UPDATE runs AS r SET published_at = w.published_at
FROM (SELECT runs.id, u.published_at
      FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@published_ats::timestamptz[]) AS published_at) AS u
      JOIN runs ON runs.id = u.id
      WHERE runs.status = 'queued' AND runs.published_at IS NULL
      FOR UPDATE OF runs SKIP LOCKED) AS w
WHERE r.id = w.id;

-- name: RunClaim :many
-- RunClaim makes one attempt of each of these runs this consumer's, in one statement, so that the
-- claims of many consumers share one round trip and one commit (worker/batcher.go). A run with no
-- row back is finished, is being run by someone else, or is waiting for its retry. With allow_only,
-- only runs whose job's overlap is 'allow' are claimed: those need no overlap decision
-- (RunOverlapDecide), which the others get before they are claimed again without it. The runs are
-- found by their ids one by one (the join with the ids): the statuses' conditions are checked on
-- those rows only, so that the plan never reads an index of every pending run, as it would when a
-- burst has just made the table's statistics stale.
UPDATE runs AS r
SET status = 'running',
    attempts = r.attempts + 1,
    retry_count = r.attempts,
    started_at = GREATEST(clock_timestamp(), r.scheduled_at), -- a run claimed ahead of its slot starts on it
    published_at = COALESCE(r.published_at, clock_timestamp()), -- it was delivered, so it was published
    lease_until = clock_timestamp() + (j.timeout_ms + @lease_margin_ms::bigint) * interval '1 millisecond',
    next_attempt_at = NULL,
    params = COALESCE(r.params, j.params) -- a run shows the params it used
FROM unnest(@ids::bigint[]) AS c (id), jobs AS j
WHERE r.id = c.id
  AND j.id = r.job_id
  AND (j.overlap = 'allow' OR NOT @allow_only::boolean)
  AND (r.status = 'queued' AND r.waiting_since IS NULL -- a run held back by overlap 'queue' waits
       OR (r.status = 'failed' AND r.next_attempt_at <= clock_timestamp() + interval '1 second')
       OR (r.status = 'running' AND r.lease_until < clock_timestamp() AND r.cancel_requested_at IS NULL))
RETURNING r.id, r.job_id, r.attempts, r.retry_count, r.scheduled_at, r.started_at,
    j.name, j.type, j.payload, j.max_retries, j.retry_delay_ms, j.timeout_ms, j.retry_on, j.retry_backoff,
    j.signing_secret, j.secret_refs,
    -- overlap, after, params (issue 21, sched-b): what the attempt needs of them.
    r.params, j.overlap, r.trigger_run_id,
    COALESCE((SELECT u.job_id FROM runs AS u WHERE u.id = r.trigger_run_id), 0)::bigint AS trigger_job_id,
    COALESCE((SELECT u.status FROM runs AS u WHERE u.id = r.trigger_run_id), '')::text AS trigger_status,
    -- Signing (issue 22): the job's previous signing secret while its rotation's overlap lasts.
    COALESCE(CASE WHEN j.previous_secret_until > clock_timestamp() THEN j.previous_signing_secret END, '')::text AS previous_signing_secret;

-- name: RunLeaseExtend :exec
-- RunLeaseExtend keeps the claims of runs that wait in their consumer's process for an execution
-- slot (worker/runner_lease.go): each lease lasts its job's timeout and the margin from now, so
-- that a run that waited is not taken over as lost before it ran. Only the attempt that was
-- claimed is extended.
WITH u AS (SELECT unnest(@ids::bigint[]) AS id, unnest(@attempts::integer[]) AS attempt)
UPDATE runs AS r
SET lease_until = clock_timestamp() + (j.timeout_ms + @lease_margin_ms::bigint) * interval '1 millisecond'
FROM jobs AS j, u
WHERE r.id = u.id AND r.attempts = u.attempt AND r.status = 'running' AND j.id = r.job_id;

-- name: RunRecordResults :many
-- RunRecordResults records what attempts of many runs came to, in one statement, so that the
-- results of many consumers share one round trip and one commit (worker/record.go). Each result
-- sets its run's status (completed, failed or permanently_failed), output and error; a failed
-- attempt, which will be retried, also gets the time of its retry and is unpublished until its
-- retry is. The same statement keeps each attempt in run_attempts, so the history is never
-- without an attempt whose result was recorded. A run that is no longer running this attempt
-- (its claim expired and another consumer took it) is left alone, and its id is not returned.
-- An attempt finished when its task ended (ended_ats, on its consumer's clock), not when its batch
-- reached the database; a consumer whose clock is off cannot stamp it before the attempt started
-- nor after the database took it.
WITH result AS (
    SELECT unnest(@ids::bigint[]) AS id, unnest(@attempts::integer[]) AS attempt,
           unnest(@statuses::text[]) AS status, unnest(@outputs::text[]) AS output,
           unnest(@errors::text[]) AS error, unnest(@retry_delays_ms::bigint[]) AS retry_delay_ms,
           unnest(@exchanges::text[]) AS exchange,
           unnest(@ended_ats::timestamptz[]) AS ended_at
), done AS (
    UPDATE runs AS r
    SET status = res.status, output = res.output, error = res.error, lease_until = NULL,
        completed_at = CASE WHEN res.status = 'failed' THEN r.completed_at
                            ELSE LEAST(GREATEST(res.ended_at, r.started_at), clock_timestamp()) END,
        published_at = CASE WHEN res.status = 'failed' THEN NULL ELSE r.published_at END,
        next_attempt_at = CASE WHEN res.status = 'failed'
                               THEN clock_timestamp() + res.retry_delay_ms * interval '1 millisecond' END
    FROM result AS res
    WHERE r.id = res.id AND r.status = 'running' AND r.attempts = res.attempt
    RETURNING r.id, r.attempts, r.started_at, r.status, r.completed_at, r.output, r.error, res.exchange,
        LEAST(GREATEST(res.ended_at, r.started_at), clock_timestamp()) AS ended_at
), kept AS (
    INSERT INTO run_attempts (run_id, attempt, started_at, finished_at, outcome, output, error, exchange)
    SELECT id, attempts, COALESCE(started_at, ended_at), COALESCE(completed_at, ended_at),
           status, output, error, NULLIF(exchange, '')::jsonb
    FROM done
)
SELECT id FROM done;

-- Retrying by hand. Only a run that failed for good, or was missed, can be put back in the queue:
-- as queued and unpublished, so that its next attempt is claimed like any other (and published
-- again by the reaper if the publish fails). It gets one attempt; if that fails too, it is
-- permanently failed again.

-- name: RunRetry :one
UPDATE runs
SET status = 'queued', published_at = NULL, completed_at = NULL, lease_until = NULL, next_attempt_at = NULL
WHERE id = @id AND status IN ('permanently_failed', 'missed')
RETURNING *;

-- name: RunRetryMany :many
-- RunRetryMany queues the runs again that can be retried, and answers them with their job's name
-- for the audit log, by job.
WITH retried AS (
    UPDATE runs
    SET status = 'queued', published_at = NULL, completed_at = NULL, lease_until = NULL, next_attempt_at = NULL
    WHERE runs.id = ANY(@ids::bigint[]) AND runs.status IN ('permanently_failed', 'missed')
    RETURNING runs.id, runs.job_id
)
SELECT r.id, r.job_id, j.name AS job_name
FROM retried AS r JOIN jobs AS j ON j.id = r.job_id
ORDER BY r.job_id, r.id;

-- name: RunIDsByJobAndStatus :many
-- RunIDsByJobAndStatus lists up to max_rows of a job's runs in a status, oldest first, for a
-- retry of them all (RunRetryMany).
SELECT id FROM runs
WHERE job_id = @job_id AND status = @status
ORDER BY id
LIMIT @max_rows;

-- name: RunListOrphaned :many
-- RunListOrphaned finds runs whose message may never arrive: never published (the broker was down),
-- published so long ago that it must be lost, a retry whose time passed without it coming back (a
-- broker restart can drop a message expiring from a retry queue), or held by a consumer whose lease
-- ran out. A run of a deleted job is left to the purger.
SELECT id, job_id FROM runs
WHERE EXISTS (SELECT 1 FROM jobs WHERE jobs.id = runs.job_id) AND (
      (status = 'queued'
       AND ((published_at IS NULL AND created_at < @unpublished_before::timestamptz)
            OR published_at < @stale_before::timestamptz)
       -- a run held back by overlap 'queue' is not lost while a run of its job is still ahead
       AND (waiting_since IS NULL
            OR NOT EXISTS (SELECT 1 FROM runs AS e WHERE e.job_id = runs.job_id AND e.id < runs.id
                                                     AND e.status IN ('queued', 'running', 'failed'))))
   OR (status = 'failed'
       AND ((published_at IS NULL AND next_attempt_at < clock_timestamp())
            OR (next_attempt_at < @retry_overdue_before::timestamptz AND published_at < @retry_overdue_before::timestamptz)))
   OR (status = 'running'
       -- a lease that ran out during a database outage is left to its consumer a while (worker/reaper.go)
       AND lease_until < LEAST(clock_timestamp(), @lease_expired_before::timestamptz)
       AND (published_at IS NULL OR published_at < lease_until OR published_at < @stale_before::timestamptz)))
ORDER BY id
LIMIT @max_rows;

-- Dashboard queries below.

-- name: RunPageBefore :many
-- RunPageBefore is a page of the dashboard's runs, newest first, below a keyset cursor. The run
-- pages come in one query per filter shape (all, by status, by job, by both), because an optional
-- filter written as "(@x IS NULL OR col = @x)" gets a generic plan that walks the whole table for a
-- rare job or status. Every shape selects the run_list_rows view, so all return sqlcgen.RunListRow.
SELECT * FROM run_list_rows
WHERE id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunPageAfter :many
-- RunPageAfter is RunPageBefore's page above a cursor, oldest first: the caller reverses it.
SELECT * FROM run_list_rows
WHERE id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: RunPageByStatusBefore :many
SELECT * FROM run_list_rows
WHERE status = @status AND id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunPageByStatusAfter :many
SELECT * FROM run_list_rows
WHERE status = @status AND id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: RunPageByJobBefore :many
SELECT * FROM run_list_rows
WHERE job_id = @job_id AND id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunPageByJobAfter :many
SELECT * FROM run_list_rows
WHERE job_id = @job_id AND id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: RunPageByJobStatusBefore :many
SELECT * FROM run_list_rows
WHERE job_id = @job_id AND status = @status AND id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: RunPageByJobStatusAfter :many
SELECT * FROM run_list_rows
WHERE job_id = @job_id AND status = @status AND id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: RunListRecentFailures :many
-- RunListRecentFailures is the home page's newest failed attempts. One ordered scan per status,
-- merged, so that each walks the (status, id) index backwards instead of sorting every failure.
-- A tag, if given, keeps the failures of jobs that have it (issue 27).
SELECT f.id, f.job_id, j.name AS job_name, f.status, f.scheduled_at, f.completed_at, f.next_attempt_at,
    left(f.error, 200) AS error
FROM ((SELECT id, job_id, status, scheduled_at, completed_at, next_attempt_at, error FROM runs
       WHERE status = 'failed'
         AND (sqlc.narg(tag)::text IS NULL OR job_id IN (SELECT id FROM jobs WHERE tags @> ARRAY[sqlc.narg(tag)::text]))
       ORDER BY id DESC LIMIT @max_rows)
      UNION ALL
      (SELECT id, job_id, status, scheduled_at, completed_at, next_attempt_at, error FROM runs
       WHERE status = 'permanently_failed'
         AND (sqlc.narg(tag)::text IS NULL OR job_id IN (SELECT id FROM jobs WHERE tags @> ARRAY[sqlc.narg(tag)::text]))
       ORDER BY id DESC LIMIT @max_rows)) AS f
JOIN jobs AS j ON j.id = f.job_id
ORDER BY f.id DESC
LIMIT @max_rows;

-- name: RunCountHourly :many
-- RunCountHourly counts finished runs by the hour of their slot (hours since the Unix epoch), for
-- the home page's chart.
SELECT (floor(extract(epoch FROM scheduled_at) / 3600))::bigint AS hour, status, count(*) AS runs
FROM runs
WHERE scheduled_at >= @since::timestamptz AND status IN ('completed', 'failed', 'permanently_failed')
GROUP BY 1, 2;

-- name: RunCountForJob :one
-- RunCountForJob counts a job's runs up to a cap, to say what deleting it will delete without
-- counting a million rows.
SELECT count(*) FROM (SELECT 1 FROM runs WHERE job_id = @job_id LIMIT @max_rows) AS r;

-- Retention below.

-- name: RunRetentionBound :one
-- RunRetentionBound is the id of the run with the latest slot before a moment. Retention walks the
-- runs of a status by id up to it, which keeps each walk to the old runs instead of all of them; the
-- exact age test is RunDeleteExpired's.
SELECT id FROM runs
WHERE scheduled_at < @before::timestamptz
ORDER BY scheduled_at DESC
LIMIT 1;

-- name: RunDeleteExpired :one
-- RunDeleteExpired deletes one batch of finished runs of a status that finished before a
-- moment, walking them by id from a cursor up to a bound, and keeping each job's newest @keep runs
-- whatever their status. It answers how far it looked (0 when there was nothing left to look at)
-- and how many it deleted. Rows someone else holds are skipped, not waited for.
WITH scanned AS (
    SELECT r.id, r.job_id, COALESCE(r.completed_at, r.scheduled_at) AS finished_at
    FROM runs AS r
    WHERE r.status = @status AND r.id > @after_id AND r.id <= @max_id
    ORDER BY r.id
    LIMIT @max_rows
), doomed AS (
    SELECT r.id FROM runs AS r
    JOIN scanned AS s ON s.id = r.id
    WHERE s.finished_at < @before::timestamptz
      AND s.id <= (SELECT k.id FROM runs AS k WHERE k.job_id = s.job_id ORDER BY k.id DESC OFFSET @keep LIMIT 1)
    FOR UPDATE OF r SKIP LOCKED
), deleted AS (
    DELETE FROM runs USING doomed WHERE runs.id = doomed.id RETURNING runs.id
)
SELECT COALESCE((SELECT max(scanned.id) FROM scanned), 0)::bigint AS last_id,
       (SELECT count(*) FROM deleted) AS deleted;

-- name: RunStripList :many
-- RunStripList is each of these jobs' last 20 runs for its strip, oldest first, with whether each
-- needed a retry, so that a run completed after retries has its own mark (issue 27).
SELECT j.id::bigint AS job_id, COALESCE(x.statuses, '{}')::text[] AS statuses, COALESCE(x.retried, '{}')::boolean[] AS retried
FROM unnest(@job_ids::bigint[]) AS j(id)
LEFT JOIN LATERAL (
    SELECT array_agg(r.status ORDER BY r.id) AS statuses, array_agg(r.retry_count > 0 ORDER BY r.id) AS retried
    FROM (SELECT id, status, retry_count FROM runs WHERE runs.job_id = j.id ORDER BY id DESC LIMIT 20) AS r
) AS x ON true;

-- name: RunPageSearchBefore :many
-- RunPageSearchBefore is the runs page narrowed by a date range or an error search, with the job
-- and status filters too; a NULL filter is no filter. A search reads many rows whatever the plan, so
-- one query serves every shape of it; pages without a search keep their own (see RunPageBefore).
-- from_at and to_at bound the scheduled time, [from_at, to_at); error_like is an ILIKE pattern.
SELECT * FROM run_list_rows AS l
WHERE l.id < @before_id
  AND (sqlc.narg(job_id)::bigint IS NULL OR l.job_id = sqlc.narg(job_id)::bigint)
  AND (sqlc.narg(status)::text IS NULL OR l.status = sqlc.narg(status)::text)
  AND (sqlc.narg(from_at)::timestamptz IS NULL OR l.scheduled_at >= sqlc.narg(from_at)::timestamptz)
  AND (sqlc.narg(to_at)::timestamptz IS NULL OR l.scheduled_at < sqlc.narg(to_at)::timestamptz)
  AND (sqlc.narg(error_like)::text IS NULL OR EXISTS (SELECT 1 FROM runs AS r WHERE r.id = l.id AND r.error ILIKE sqlc.narg(error_like)::text))
  AND (sqlc.narg(tag)::text IS NULL OR l.job_id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[sqlc.narg(tag)::text]))
ORDER BY l.id DESC
LIMIT @max_rows;

-- name: RunPageSearchAfter :many
-- RunPageSearchAfter is RunPageSearchBefore's page above a cursor, oldest first.
SELECT * FROM run_list_rows AS l
WHERE l.id > @after_id
  AND (sqlc.narg(job_id)::bigint IS NULL OR l.job_id = sqlc.narg(job_id)::bigint)
  AND (sqlc.narg(status)::text IS NULL OR l.status = sqlc.narg(status)::text)
  AND (sqlc.narg(from_at)::timestamptz IS NULL OR l.scheduled_at >= sqlc.narg(from_at)::timestamptz)
  AND (sqlc.narg(to_at)::timestamptz IS NULL OR l.scheduled_at < sqlc.narg(to_at)::timestamptz)
  AND (sqlc.narg(error_like)::text IS NULL OR EXISTS (SELECT 1 FROM runs AS r WHERE r.id = l.id AND r.error ILIKE sqlc.narg(error_like)::text))
  AND (sqlc.narg(tag)::text IS NULL OR l.job_id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[sqlc.narg(tag)::text]))
ORDER BY l.id
LIMIT @max_rows;

-- name: RunIDsMatching :many
-- RunIDsMatching resolves a bulk retry's filter to run ids, newest first, at most max_rows: the
-- runs page's filters (job, status, date range, error search, the job's tag); a NULL filter is none.
SELECT r.id FROM runs AS r
WHERE (sqlc.narg(job_id)::bigint IS NULL OR r.job_id = sqlc.narg(job_id)::bigint)
  AND (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
  AND (sqlc.narg(from_at)::timestamptz IS NULL OR r.scheduled_at >= sqlc.narg(from_at)::timestamptz)
  AND (sqlc.narg(to_at)::timestamptz IS NULL OR r.scheduled_at < sqlc.narg(to_at)::timestamptz)
  AND (sqlc.narg(error_like)::text IS NULL OR r.error ILIKE sqlc.narg(error_like)::text)
  AND (sqlc.narg(tag)::text IS NULL OR r.job_id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[sqlc.narg(tag)::text]))
ORDER BY r.id DESC
LIMIT @max_rows;

-- name: RunCountMatching :one
-- RunCountMatching counts the runs RunIDsMatching would answer, up to max_rows, for "select all N
-- matching".
SELECT count(*) FROM (
    SELECT 1 FROM runs AS r
    WHERE (sqlc.narg(job_id)::bigint IS NULL OR r.job_id = sqlc.narg(job_id)::bigint)
      AND (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
      AND (sqlc.narg(from_at)::timestamptz IS NULL OR r.scheduled_at >= sqlc.narg(from_at)::timestamptz)
      AND (sqlc.narg(to_at)::timestamptz IS NULL OR r.scheduled_at < sqlc.narg(to_at)::timestamptz)
      AND (sqlc.narg(error_like)::text IS NULL OR r.error ILIKE sqlc.narg(error_like)::text)
      AND (sqlc.narg(tag)::text IS NULL OR r.job_id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[sqlc.narg(tag)::text]))
    LIMIT @max_rows) AS m;

-- name: RunCountByStatusCapped :many
-- RunCountByStatusCapped counts the runs of each status given that the runs page's other filters
-- (job, date range, error search, tag) leave, for its status tabs; a NULL filter is no filter. Each
-- status is counted only up to max_count (issue 27): the tabs refresh every 2 s, and a count that
-- stops there stays a bounded walk of an index however many runs there are.
SELECT s.status::text AS status,
       (SELECT count(*) FROM (
            SELECT 1 FROM runs AS r
            WHERE r.status = s.status
              AND (sqlc.narg(job_id)::bigint IS NULL OR r.job_id = sqlc.narg(job_id)::bigint)
              AND (sqlc.narg(from_at)::timestamptz IS NULL OR r.scheduled_at >= sqlc.narg(from_at)::timestamptz)
              AND (sqlc.narg(to_at)::timestamptz IS NULL OR r.scheduled_at < sqlc.narg(to_at)::timestamptz)
              AND (sqlc.narg(error_like)::text IS NULL OR r.error ILIKE sqlc.narg(error_like)::text)
              AND (sqlc.narg(tag)::text IS NULL OR r.job_id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[sqlc.narg(tag)::text]))
            LIMIT @max_count::int) AS c)::bigint AS runs
FROM unnest(@statuses::text[]) AS s(status);

-- name: RunListRunning :many
-- RunListRunning is the home page's "Running now" (issue 27): the runs in progress, longest
-- running first, with their job's name, read along the runs_pending_idx. A tag, if given, keeps
-- the runs of jobs that have it.
SELECT r.id, r.job_id, j.name AS job_name, r.attempts, r.started_at, r.trigger
FROM runs AS r JOIN jobs AS j ON j.id = r.job_id
WHERE r.status = 'running' AND (sqlc.narg(tag)::text IS NULL OR j.tags @> ARRAY[sqlc.narg(tag)::text])
ORDER BY r.started_at NULLS LAST, r.id
LIMIT @max_rows;

-- name: RunListExistingIDs :many
-- RunListExistingIDs returns those of the ids that name a run still kept, for the audit log's
-- links to runs (one query a page).
SELECT id FROM runs WHERE id = ANY(@ids::bigint[]);
