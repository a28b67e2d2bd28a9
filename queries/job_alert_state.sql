-- job_alert_state is read and written in the transaction that records a settled run (see
-- worker/alert.go), so that two runs of one job settling at once are counted one after the other.

-- name: JobAlertStateLock :one
-- JobAlertStateLock reads and locks where a job stands, with what its alerts are.
SELECT s.consecutive_failures, s.failing, s.episode, j.alert_after, cardinality(j.alert_channels)::integer AS channels
FROM job_alert_state AS s
JOIN jobs AS j ON j.id = s.job_id
WHERE s.job_id = @job_id
FOR UPDATE OF s;

-- name: JobAlertStateInit :exec
INSERT INTO job_alert_state (job_id) VALUES (@job_id) ON CONFLICT (job_id) DO NOTHING;

-- name: JobAlertStateSet :exec
UPDATE job_alert_state
SET consecutive_failures = @consecutive_failures, failing = @failing, episode = @episode, updated_at = clock_timestamp()
WHERE job_id = @job_id;

-- name: JobAlertStateGet :one
-- JobAlertStateGet is where a job stands, for its page; a job that never failed has no row.
SELECT consecutive_failures, failing FROM job_alert_state WHERE job_id = @job_id;
