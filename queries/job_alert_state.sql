-- job_alert_state is read and written in the transaction that records a settled run (see
-- worker/alert.go), so that two runs of one job settling at once are counted one after the other.

-- name: JobAlertStateLock :many
-- JobAlertStateLock reads and locks where these jobs stand, with what their alerts are, in job
-- order (see JobStatsAdd). A job that never failed has no row. untold counts, for a failing job,
-- its channels that have no failing notice of this episode: channels added while it was failing.
-- The reminder and flapping columns are the rules that cut noise (migration 00017).
SELECT s.job_id, s.consecutive_failures, s.failing, s.episode, j.alert_after, cardinality(j.alert_channels)::integer AS channels,
    s.last_notice_at, s.last_recovered_at, s.reminders, s.held, j.alert_repeat_ms, j.alert_flap_window_ms,
    (SELECT count(*) FROM unnest(j.alert_channels) AS c(id)
     WHERE s.failing AND NOT EXISTS (SELECT 1 FROM notices AS n
         WHERE n.channel_id = c.id AND n.job_id = s.job_id AND n.episode = s.episode AND n.event LIKE 'job.failing%'))::integer AS untold,
    -- pause_after_failures, alerts.on (issue 21, sched-b)
    j.pause_after_failures, j.alert_on
FROM job_alert_state AS s
JOIN jobs AS j ON j.id = s.job_id
WHERE s.job_id = ANY(@job_ids::bigint[])
ORDER BY s.job_id
FOR UPDATE OF s;

-- name: JobAlertStateInit :exec
-- JobAlertStateInit gives the jobs that have just failed and never failed before a row.
INSERT INTO job_alert_state (job_id)
SELECT job_id FROM unnest(@job_ids::bigint[]) AS job_id ORDER BY job_id
ON CONFLICT (job_id) DO NOTHING;

-- name: JobAlertStateSet :exec
UPDATE job_alert_state
SET consecutive_failures = @consecutive_failures, failing = @failing, episode = @episode, updated_at = clock_timestamp(),
    last_notice_at = @last_notice_at, last_recovered_at = @last_recovered_at, reminders = @reminders, held = @held
WHERE job_id = @job_id;

-- name: JobAlertStateGet :one
-- JobAlertStateGet is where a job stands, for its page; a job that never failed has no row.
-- held is a job past its threshold whose failing notice the flap window holds back.
SELECT consecutive_failures, failing, held FROM job_alert_state WHERE job_id = @job_id;

-- Failing as the dashboard shows it (issue 27). A job is failing when job_alert_state.failing is
-- set: the alerter's one definition (its failed runs in a row reached alert_after). Since is when
-- its streak began: the oldest of its last consecutive_failures settled failures (failed for good
-- or missed; skipped and cancelled runs move no alert state), and last_error the newest one's error.

-- name: JobFailingList :many
-- JobFailingList is where each of these jobs stands if it is failing, for a page of rows or one job.
SELECT s.job_id, s.consecutive_failures, COALESCE(f.since, s.updated_at)::timestamptz AS since, COALESCE(f.last_error, '')::text AS last_error
FROM job_alert_state AS s
LEFT JOIN LATERAL (
    SELECT min(COALESCE(r.completed_at, r.scheduled_at)) AS since, (array_agg(r.error ORDER BY r.id DESC))[1] AS last_error
    FROM (SELECT id, completed_at, scheduled_at, error FROM runs
          WHERE runs.job_id = s.job_id AND runs.status IN ('permanently_failed', 'missed')
          ORDER BY id DESC LIMIT GREATEST(s.consecutive_failures, 1)) AS r
) AS f ON true
WHERE s.failing AND s.job_id = ANY(@job_ids::bigint[])
ORDER BY s.job_id;

-- name: JobFailingNow :many
-- JobFailingNow is the home page's failing jobs, one row each, the longest streak first; a tag, if
-- given, keeps the jobs that have it (issue 27), and total counts those.
SELECT s.job_id, j.name AS job_name, s.consecutive_failures, COALESCE(f.since, s.updated_at)::timestamptz AS since,
    COALESCE(f.last_error, '')::text AS last_error, count(*) OVER ()::bigint AS total
FROM job_alert_state AS s
JOIN jobs AS j ON j.id = s.job_id
LEFT JOIN LATERAL (
    SELECT min(COALESCE(r.completed_at, r.scheduled_at)) AS since, (array_agg(r.error ORDER BY r.id DESC))[1] AS last_error
    FROM (SELECT id, completed_at, scheduled_at, error FROM runs
          WHERE runs.job_id = s.job_id AND runs.status IN ('permanently_failed', 'missed')
          ORDER BY id DESC LIMIT GREATEST(s.consecutive_failures, 1)) AS r
) AS f ON true
WHERE s.failing AND (sqlc.narg(tag)::text IS NULL OR j.tags @> ARRAY[sqlc.narg(tag)::text])
ORDER BY s.consecutive_failures DESC, s.job_id
LIMIT @max_rows;

-- name: JobAlertUntold :many
-- JobAlertUntold is, for each of these jobs that is failing now (its failing notice not held by
-- the flap window) and whose alerts.on names failing, what its failing notice says, when some of
-- its channels have no failing notice of this episode: channels added while it was failing
-- (issue 22). The run is its newest failure.
SELECT s.job_id, j.name AS job_name, s.episode, s.consecutive_failures, j.alert_repeat_ms,
    r.id AS run_id, r.status AS run_status, r.error AS run_error, r.scheduled_at AS run_scheduled_at
FROM job_alert_state AS s
JOIN jobs AS j ON j.id = s.job_id
JOIN LATERAL (SELECT id, status, error, scheduled_at FROM runs
              WHERE runs.job_id = s.job_id AND runs.status IN ('permanently_failed', 'missed')
              ORDER BY id DESC LIMIT 1) AS r ON true
WHERE s.job_id = ANY(@job_ids::bigint[]) AND s.failing AND NOT s.held AND 'failing' = ANY(j.alert_on)
  AND EXISTS (SELECT 1 FROM unnest(j.alert_channels) AS c(id)
      WHERE NOT EXISTS (SELECT 1 FROM notices AS n
          WHERE n.channel_id = c.id AND n.job_id = s.job_id AND n.episode = s.episode AND n.event = 'job.failing'))
ORDER BY s.job_id;
