-- name: JobStatsAdd :exec
-- JobStatsAdd counts settled runs in the hour they settled: for each job (each once, in job_ids), how
-- many completed and how many failed. The rows are written in job order, so that two transactions
-- counting runs of the same jobs cannot deadlock.
INSERT INTO job_hourly_stats (job_id, hour, completed, failed)
SELECT unnest(@job_ids::bigint[]), date_trunc('hour', clock_timestamp()), unnest(@completed::integer[]),
    unnest(@failed::integer[])
ORDER BY 1
ON CONFLICT (job_id, hour) DO UPDATE
SET completed = job_hourly_stats.completed + EXCLUDED.completed, failed = job_hourly_stats.failed + EXCLUDED.failed;

-- name: JobStatsSummary :one
-- JobStatsSummary adds up a job's settled runs over the last 24 hours and 7 days: at most 168 rows.
SELECT
    COALESCE(sum(completed) FILTER (WHERE hour >= @day_start::timestamptz), 0)::bigint AS completed_day,
    COALESCE(sum(failed) FILTER (WHERE hour >= @day_start::timestamptz), 0)::bigint AS failed_day,
    COALESCE(sum(completed), 0)::bigint AS completed_week,
    COALESCE(sum(failed), 0)::bigint AS failed_week
FROM job_hourly_stats
WHERE job_id = @job_id AND hour >= @week_start::timestamptz;

-- name: JobDurations :one
-- JobDurations is the median and 95th percentile of a job's last max_rows completed runs, read
-- backwards along the (job_id, status, id) index.
SELECT
    COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY d.ms), 0)::float8 AS median_ms,
    COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY d.ms), 0)::float8 AS p95_ms,
    count(*) AS runs
FROM (SELECT extract(epoch FROM r.completed_at - r.started_at) * 1000 AS ms
      FROM runs AS r
      WHERE r.job_id = @job_id AND r.status = 'completed' AND r.started_at IS NOT NULL
      ORDER BY r.id DESC
      LIMIT @max_rows) AS d;

-- name: JobRetryStats :one
-- JobRetryStats counts, of a job's last max_rows settled runs, how many needed more than one
-- attempt (issue 27): Health says "100 % succeeded, 40 % after retries" rather than "100 % success".
SELECT count(*) AS runs,
       count(*) FILTER (WHERE d.status = 'completed') AS completed,
       count(*) FILTER (WHERE d.attempts > 1) AS retried,
       count(*) FILTER (WHERE d.status = 'completed' AND d.attempts > 1) AS completed_retried
FROM (SELECT r.status, r.attempts FROM runs AS r
      WHERE r.job_id = @job_id AND r.status IN ('completed', 'permanently_failed')
      ORDER BY r.id DESC
      LIMIT @max_rows) AS d;

-- name: JobDurationTrend :many
-- JobDurationTrend is the median and 95th percentile duration of a job's last max_rows completed
-- runs, by UTC day of completion: Health's duration trend (issue 27).
SELECT date_trunc('day', d.completed_at, 'UTC')::timestamptz AS day,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY d.ms)::float8 AS median_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY d.ms)::float8 AS p95_ms,
       count(*) AS runs
FROM (SELECT r.completed_at, extract(epoch FROM r.completed_at - r.started_at) * 1000 AS ms
      FROM runs AS r
      WHERE r.job_id = @job_id AND r.status = 'completed' AND r.started_at IS NOT NULL AND r.completed_at IS NOT NULL
      ORDER BY r.id DESC
      LIMIT @max_rows) AS d
GROUP BY 1
ORDER BY 1;
