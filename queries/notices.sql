-- name: NoticeInsertForJob :many
-- NoticeInsertForJob makes one notice per channel of the job's alerts. The notices' key (channel,
-- job, episode, event) makes a second attempt at the same notice a no-op, and so a failing notice
-- made again while the job fails goes only to channels added since. A recovered notice goes only
-- to the channels that were told the episode's failing. A reminder (1, 2, …) is a failing notice
-- made again, to every channel, while the job keeps failing; its event is job.failing.reminder.N.
INSERT INTO notices (channel_id, job_id, run_id, event, episode, consecutive_failures, details, reminder)
SELECT c.id, j.id, @run_id, @event, @episode, @consecutive_failures, @details, @reminder
FROM jobs AS j
JOIN channels AS c ON c.id = ANY(j.alert_channels)
WHERE j.id = @job_id
  AND (@event::text <> 'job.recovered' OR EXISTS (SELECT 1 FROM notices AS f
      WHERE f.channel_id = c.id AND f.job_id = j.id AND f.episode = @episode AND f.event LIKE 'job.failing%'))
ON CONFLICT (channel_id, job_id, episode, event) WHERE event <> 'channel.test' DO NOTHING
RETURNING id;

-- name: NoticeInsertTest :one
-- NoticeInsertTest records a test notice as being sent now, by the request that asked for it.
INSERT INTO notices (channel_id, event, details, status, attempts, lease_until)
VALUES (@channel_id, 'channel.test', @details, 'sending', 1, clock_timestamp() + interval '2 minutes')
RETURNING *;

-- name: NoticeMarkPublished :exec
UPDATE notices SET published_at = clock_timestamp()
WHERE id = ANY(@ids::bigint[]) AND status IN ('queued', 'retrying', 'sending');

-- name: NoticeClaim :one
-- NoticeClaim makes one delivery attempt of a notice this consumer's, with the channel it goes to
-- and the channel's signing secrets: the current one, and the one it replaced while still valid.
-- No row back means it is sent, failed for good, being sent by someone else, or waiting for its
-- retry.
UPDATE notices AS n
SET status = 'sending', attempts = n.attempts + 1, next_attempt_at = NULL,
    lease_until = clock_timestamp() + (@lease_ms::bigint) * interval '1 millisecond'
FROM channels AS c
WHERE n.id = @id
  AND c.id = n.channel_id
  AND (n.status = 'queued'
       OR (n.status = 'retrying' AND n.next_attempt_at <= clock_timestamp() + interval '1 second')
       OR (n.status = 'sending' AND n.lease_until < clock_timestamp()))
RETURNING n.id, n.event, n.attempts, n.details, c.name AS channel_name, c.type AS channel_type, c.config,
    c.signing_secret,
    COALESCE(CASE WHEN c.previous_secret_until > clock_timestamp() THEN c.previous_signing_secret END, '')::text AS previous_signing_secret;

-- name: NoticeRecord :execrows
-- NoticeRecord records what a delivery attempt came to: sent, retrying (after retry_in_ms) or
-- failed for good. Only the attempt that holds the notice can record it.
UPDATE notices
SET status = @status, output = @output, error = @error, lease_until = NULL,
    sent_at = CASE WHEN @status = 'sent' THEN clock_timestamp() END,
    next_attempt_at = CASE WHEN @status = 'retrying'
        THEN clock_timestamp() + (@retry_in_ms::bigint) * interval '1 millisecond' END,
    published_at = CASE WHEN @status = 'retrying' THEN NULL ELSE published_at END
WHERE id = @id AND status = 'sending' AND attempts = @attempt;

-- name: NoticeListOrphaned :many
-- NoticeListOrphaned finds notices whose message may never arrive, as RunListOrphaned does for runs.
SELECT id FROM notices
WHERE (status = 'queued'
       AND ((published_at IS NULL AND created_at < @unpublished_before::timestamptz)
            OR published_at < @stale_before::timestamptz))
   OR (status = 'retrying'
       AND ((published_at IS NULL AND next_attempt_at < clock_timestamp())
            OR (next_attempt_at < @retry_overdue_before::timestamptz AND published_at < @retry_overdue_before::timestamptz)))
   OR (status = 'sending' AND lease_until < LEAST(clock_timestamp(), @lease_expired_before::timestamptz)
       AND event <> 'channel.test')
ORDER BY id
LIMIT @max_rows;

-- name: NoticeListByChannel :many
-- NoticeListByChannel is a channel's most recent notices, newest first, for its page.
SELECT n.id, n.job_id, COALESCE(j.name, '')::text AS job_name, n.run_id, n.event, n.status, n.attempts,
    n.created_at, n.sent_at, n.next_attempt_at, left(n.error, 300) AS error
FROM notices AS n
LEFT JOIN jobs AS j ON j.id = n.job_id
WHERE n.channel_id = @channel_id
ORDER BY n.id DESC
LIMIT @max_rows;

-- name: NoticeListByJob :many
-- NoticeListByJob is every notice about a job, oldest first, for tests and the API.
SELECT id, channel_id, run_id, event, status, attempts, consecutive_failures, reminder FROM notices
WHERE job_id = @job_id
ORDER BY id;

-- name: NoticeInsertSkipped :many
-- NoticeInsertSkipped makes one job.skipped notice per channel of a job whose alerts.on names
-- "skipped", about one skipped run. The run's id is the notice's episode, so that a run is told of
-- once. The job's name is filled into the details here.
INSERT INTO notices (channel_id, job_id, run_id, event, episode, details)
SELECT c.id, j.id, @run_id::bigint, 'job.skipped', @run_id::bigint,
       jsonb_set(@details::jsonb, '{job,name}', to_jsonb(j.name))
FROM jobs AS j
JOIN channels AS c ON c.id = ANY(j.alert_channels)
WHERE j.id = @job_id AND 'skipped' = ANY(j.alert_on)
ON CONFLICT (channel_id, job_id, episode, event) WHERE event <> 'channel.test' DO NOTHING
RETURNING id;

-- name: NoticeInsertMissed :many
-- NoticeInsertMissed makes one job.missed notice per channel of a job whose alerts.on names
-- "missed", about each missed run given with its details. As for a skipped run, the run's id is the
-- notice's episode, so that a run is told of once; the job's name is filled in here.
INSERT INTO notices (channel_id, job_id, run_id, event, episode, details)
SELECT c.id, j.id, u.run_id, 'job.missed', u.run_id,
       jsonb_set(u.details::jsonb, '{job,name}', to_jsonb(j.name))
FROM (SELECT unnest(@run_ids::bigint[]) AS run_id, unnest(@job_ids::bigint[]) AS job_id,
             unnest(@details::text[]) AS details) AS u
JOIN jobs AS j ON j.id = u.job_id
JOIN channels AS c ON c.id = ANY(j.alert_channels)
WHERE 'missed' = ANY(j.alert_on)
ON CONFLICT (channel_id, job_id, episode, event) WHERE event <> 'channel.test' DO NOTHING
RETURNING id;

-- name: NoticeDeleteExpired :execrows
-- NoticeDeleteExpired deletes a batch of settled notices that have no run and were made before a
-- moment, oldest first; retention calls it until a batch comes back short. A notice about a run is
-- deleted with its run instead (its key cascades).
DELETE FROM notices
WHERE id IN (SELECT n.id FROM notices AS n
             WHERE n.run_id IS NULL AND n.created_at < @before::timestamptz AND n.status IN ('sent', 'failed')
             ORDER BY n.created_at
             LIMIT @max_rows);
