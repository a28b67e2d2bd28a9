-- name: JobInsert :one
INSERT INTO jobs (name, type, payload, cron, timezone, max_retries, retry_delay_ms, timeout_ms, catchup, paused, next_run_at)
VALUES (@name, @type, @payload, @cron, @timezone, @max_retries, @retry_delay_ms, @timeout_ms, @catchup, @paused, @next_run_at)
RETURNING *;

-- name: JobGet :one
SELECT * FROM jobs WHERE id = @id;

-- name: JobList :many
-- JobList pages through every job by id, for the API.
SELECT * FROM jobs
WHERE id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: JobUpdate :one
UPDATE jobs
SET name = @name, type = @type, payload = @payload, cron = @cron, timezone = @timezone,
    max_retries = @max_retries, retry_delay_ms = @retry_delay_ms, timeout_ms = @timeout_ms,
    catchup = @catchup, next_run_at = @next_run_at, updated_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: JobSetPaused :one
UPDATE jobs
SET paused = @paused, next_run_at = @next_run_at, updated_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: JobDelete :execrows
DELETE FROM jobs WHERE id = @id;

-- name: JobCount :one
SELECT count(*) FROM jobs;

-- name: JobScheduleList :many
-- JobScheduleList is what the scheduler needs of every job to build its cron table.
SELECT id, cron, timezone, paused, updated_at, next_run_at FROM jobs ORDER BY id;

-- name: JobScheduleGet :one
SELECT id, cron, timezone, paused, updated_at, next_run_at FROM jobs WHERE id = @id;

-- name: JobSetNextRuns :exec
-- JobSetNextRuns records where each job's schedule goes next, without touching updated_at. A job
-- edited since (its updated_at moved on) keeps the next run its edit computed. It only moves
-- forward: slots stored late (after a database outage) must not pull it back.
UPDATE jobs
SET next_run_at = GREATEST(jobs.next_run_at, u.next_run_at)
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@next_run_ats::timestamptz[]) AS next_run_at,
             unnest(@updated_ats::timestamptz[]) AS updated_at) AS u
WHERE jobs.id = u.id AND jobs.updated_at = u.updated_at;

-- name: JobListen :exec
-- JobListen subscribes the connection to job changes (see the jobs_notify_change trigger).
LISTEN cronflow_jobs;

-- name: JobListOverdue :many
-- JobListOverdue finds active jobs whose next slot passed without a run being made: the scheduler
-- was down, or could not reach the database when the slot came.
SELECT id, cron, timezone, next_run_at, updated_at, catchup FROM jobs
WHERE NOT paused AND next_run_at < @before::timestamptz
ORDER BY next_run_at
LIMIT @max_rows;

-- Dashboard queries below.

-- name: JobPageBefore :many
-- JobPageBefore is a page of the dashboard's job list, newest first, below a keyset cursor, with each
-- job's last run. The type and paused filters are optional: every shape of this query walks the
-- primary key, which is the right plan whatever they are. Every job list selects the job_list_rows
-- view, so all return sqlcgen.JobListRow.
SELECT * FROM job_list_rows AS j
WHERE j.id < @before_id
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
ORDER BY j.id DESC
LIMIT @max_rows;

-- name: JobPageAfter :many
-- JobPageAfter is JobPageBefore's page above a cursor, oldest first: the caller reverses it.
SELECT * FROM job_list_rows AS j
WHERE j.id > @after_id
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
ORDER BY j.id
LIMIT @max_rows;

-- name: JobSearchBefore :many
-- JobSearchBefore is JobPageBefore for jobs whose name matches an ILIKE pattern (wildcards in the
-- user's text escaped by the caller). The matches are found first, through the trigram index, and
-- only then ordered: written as one filtered walk of the primary key, a generic plan would read all
-- 100,000 names for a name that matches none.
WITH matches AS MATERIALIZED (SELECT jobs.id FROM jobs WHERE jobs.name ILIKE @pattern)
SELECT j.* FROM job_list_rows AS j
JOIN matches AS m ON m.id = j.id
WHERE j.id < @before_id
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
ORDER BY j.id DESC
LIMIT @max_rows;

-- name: JobSearchAfter :many
WITH matches AS MATERIALIZED (SELECT jobs.id FROM jobs WHERE jobs.name ILIKE @pattern)
SELECT j.* FROM job_list_rows AS j
JOIN matches AS m ON m.id = j.id
WHERE j.id > @after_id
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
ORDER BY j.id
LIMIT @max_rows;

-- name: JobListRowGet :one
-- JobListRowGet is one job as the jobs list shows it, for the row an action on it redraws.
SELECT * FROM job_list_rows WHERE id = @id;

-- name: JobListUpcoming :many
-- JobListUpcoming is the home page's "next runs": active jobs by their next slot.
SELECT id, name, type, cron, timezone, next_run_at FROM jobs
WHERE NOT paused AND next_run_at IS NOT NULL
ORDER BY next_run_at
LIMIT @max_rows;
