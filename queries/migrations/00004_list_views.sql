-- +goose Up
-- The row shapes of the dashboard's lists, defined once. Each list query selects from a view with
-- its own WHERE, ORDER BY and LIMIT; PostgreSQL inlines a view, so every query keeps its index
-- (see EXPLAIN in the queries' comments) and sqlc gives all of them one Go type.

-- run_list_rows is a run as the runs tables show it: with its job's name, and its output and error
-- cut to a preview (a run's own page shows them whole).
CREATE VIEW run_list_rows AS
SELECT r.id, r.job_id, j.name AS job_name, r.status, r.trigger, r.attempts, r.retry_count,
    r.scheduled_at, r.started_at, r.completed_at, r.next_attempt_at, r.published_at,
    left(r.output, 300) AS output, length(r.output) > 300 AS output_cut,
    left(r.error, 300) AS error, length(r.error) > 300 AS error_cut
FROM runs AS r JOIN jobs AS j ON j.id = r.job_id;

-- job_list_rows is a job as the jobs list shows it, with the status of its last run ('' for none).
CREATE VIEW job_list_rows AS
SELECT j.id, j.name, j.type, j.payload, j.cron, j.timezone, j.paused, j.created_at, j.next_run_at,
    COALESCE(lr.status, '')::text AS last_run_status
FROM jobs AS j
LEFT JOIN LATERAL (SELECT r.status FROM runs AS r WHERE r.job_id = j.id ORDER BY r.id DESC LIMIT 1) AS lr ON true;

-- +goose Down
DROP VIEW job_list_rows;
DROP VIEW run_list_rows;
