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
         WHERE n.channel_id = c.id AND n.job_id = s.job_id AND n.episode = s.episode AND n.event = 'job.failing'))::integer AS untold,
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
