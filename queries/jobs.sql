-- name: JobInsert :one
-- JobInsert stores a job. Without alert channels given, it alerts the channels marked default. An
-- empty retry policy or no secret references take the columns' defaults, so every caller need not
-- name them.
INSERT INTO jobs (name, type, payload, cron, timezone, max_retries, retry_delay_ms, timeout_ms, catchup, paused,
                  next_run_at, alert_channels, alert_after, retry_on, retry_backoff, signing_secret, secret_refs,
                  -- issue 21, jitter and windows
                  jitter_ms, start_at, end_at, blackouts,
                  -- overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
                  overlap, after_job_id, after_on, params, pause_after_failures, alert_on,
                  -- alert rules (issue 22): reminders and flapping damping
                  alert_repeat_ms, alert_flap_window_ms,
                  -- tags and a description (issue 27)
                  tags, description)
VALUES (@name, @type, @payload, @cron, @timezone, @max_retries, @retry_delay_ms, @timeout_ms, @catchup, @paused,
        @next_run_at,
        COALESCE(sqlc.narg(alert_channels)::bigint[], ARRAY(SELECT c.id FROM channels AS c WHERE c.is_default ORDER BY c.id)),
        COALESCE(sqlc.narg(alert_after)::integer, 1),
        COALESCE(NULLIF(@retry_on::text, ''), 'transient'), COALESCE(NULLIF(@retry_backoff::text, ''), 'fixed'),
        @signing_secret, COALESCE(@secret_refs::text[], '{}'),
        -- issue 21, jitter and windows
        @jitter_ms, sqlc.narg(start_at)::timestamptz, sqlc.narg(end_at)::timestamptz, COALESCE(sqlc.narg(blackouts)::jsonb, '[]'),
        -- overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
        COALESCE(NULLIF(@overlap::text, ''), 'allow'), sqlc.narg(after_job_id)::bigint,
        COALESCE(NULLIF(@after_on::text, ''), 'success'), COALESCE(sqlc.narg(params)::jsonb, '{}'),
        @pause_after_failures, COALESCE(sqlc.narg(alert_on)::text[], '{failing,recovered}'),
        -- alert rules (issue 22)
        COALESCE(sqlc.narg(alert_repeat_ms)::bigint, 0), COALESCE(sqlc.narg(alert_flap_window_ms)::bigint, 0),
        -- tags and a description (issue 27)
        COALESCE(sqlc.narg(tags)::text[], '{}'), COALESCE(sqlc.narg(description)::text, ''))
RETURNING *;

-- name: JobGet :one
SELECT * FROM jobs WHERE id = @id;

-- name: JobList :many
-- JobList pages through every job by id, for the API, or the jobs with a tag ('' for every job).
SELECT * FROM jobs
WHERE id > @after_id AND (@tag::text = '' OR tags @> ARRAY[@tag::text])
ORDER BY id
LIMIT @max_rows;

-- name: JobUpdate :one
UPDATE jobs
SET name = @name, type = @type, payload = @payload, cron = @cron, timezone = @timezone,
    max_retries = @max_retries, retry_delay_ms = @retry_delay_ms, timeout_ms = @timeout_ms,
    catchup = @catchup, next_run_at = @next_run_at, updated_at = clock_timestamp(),
    -- Alerts not given are kept as they are.
    alert_channels = COALESCE(sqlc.narg(alert_channels)::bigint[], alert_channels),
    alert_after = COALESCE(sqlc.narg(alert_after)::integer, alert_after),
    -- alert rules (issue 22), kept as they are when alerts are not given
    alert_repeat_ms = COALESCE(sqlc.narg(alert_repeat_ms)::bigint, alert_repeat_ms),
    alert_flap_window_ms = COALESCE(sqlc.narg(alert_flap_window_ms)::bigint, alert_flap_window_ms),
    retry_on = COALESCE(NULLIF(@retry_on::text, ''), 'transient'),
    retry_backoff = COALESCE(NULLIF(@retry_backoff::text, ''), 'fixed'),
    signing_secret = COALESCE(signing_secret, @signing_secret), secret_refs = COALESCE(@secret_refs::text[], '{}'),
    -- issue 21, jitter and windows
    jitter_ms = @jitter_ms, start_at = sqlc.narg(start_at)::timestamptz, end_at = sqlc.narg(end_at)::timestamptz,
    blackouts = COALESCE(sqlc.narg(blackouts)::jsonb, '[]'),
    -- overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
    overlap = COALESCE(NULLIF(@overlap::text, ''), 'allow'), after_job_id = sqlc.narg(after_job_id)::bigint,
    after_on = COALESCE(NULLIF(@after_on::text, ''), 'success'), params = COALESCE(sqlc.narg(params)::jsonb, '{}'),
    pause_after_failures = @pause_after_failures, alert_on = COALESCE(sqlc.narg(alert_on)::text[], alert_on),
    -- tags and a description (issue 27), kept as they are when not given
    tags = COALESCE(sqlc.narg(tags)::text[], tags), description = COALESCE(sqlc.narg(description)::text, description)
WHERE id = @id
RETURNING *;

-- name: JobSetNextRun :one
-- JobSetNextRun sets a new job's next run once its id, which its H tokens and jitter depend on, is
-- known; updated_at stays, since the job did not change.
UPDATE jobs SET next_run_at = sqlc.narg(next_run_at)::timestamptz WHERE id = @id RETURNING *;

-- name: JobSetPaused :one
UPDATE jobs
SET paused = @paused, next_run_at = @next_run_at, updated_at = clock_timestamp(),
    paused_reason = CASE WHEN @paused::boolean THEN paused_reason ELSE '' END -- a resumed job forgets why it paused
WHERE id = @id
RETURNING *;

-- name: JobDelete :execrows
DELETE FROM jobs WHERE id = @id;

-- name: JobCount :one
SELECT count(*) FROM jobs;

-- name: JobScheduleList :many
-- JobScheduleList is a page of what the scheduler needs of every job to build its timetable, the
-- jobs after after_id in id order: it reads them a page at a time, so that a million jobs never
-- sit in memory as rows all at once.
SELECT id, cron, timezone, paused, updated_at, jitter_ms, start_at, end_at FROM jobs
WHERE id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: JobScheduleGet :one
SELECT id, cron, timezone, paused, updated_at, jitter_ms, start_at, end_at FROM jobs WHERE id = @id;

-- name: JobScheduleDigest :one
-- JobScheduleDigest sums up every job's identity and version, as the scheduler sums up the jobs
-- it knows: while the two agree it missed no change, and need not read every job again.
SELECT count(*)::bigint AS jobs,
       coalesce(bit_xor(id), 0)::bigint AS ids,
       coalesce(bit_xor((extract(epoch FROM updated_at) * 1000000)::bigint), 0)::bigint AS versions
FROM jobs;

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
SELECT id, cron, timezone, next_run_at, updated_at, catchup, jitter_ms, start_at, end_at FROM jobs
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
  AND (@tag::text = '' OR j.id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[@tag::text]))
ORDER BY j.id DESC
LIMIT @max_rows;

-- name: JobPageAfter :many
-- JobPageAfter is JobPageBefore's page above a cursor, oldest first: the caller reverses it.
SELECT * FROM job_list_rows AS j
WHERE j.id > @after_id
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
  AND (@tag::text = '' OR j.id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[@tag::text]))
ORDER BY j.id
LIMIT @max_rows;

-- name: JobSearchBefore :many
-- JobSearchBefore is JobPageBefore for jobs whose name or description matches an ILIKE pattern, or
-- that have the search term as a tag (issue 27) (wildcards in the
-- user's text escaped by the caller). The matches are found first, through the trigram index, and
-- only then ordered: written as one filtered walk of the primary key, a generic plan would read all
-- 100,000 names for a name that matches none.
-- The page's ids are chosen before the view is joined, so that only they pay for its last runs.
WITH matches AS MATERIALIZED (SELECT jobs.id FROM jobs WHERE jobs.name ILIKE @pattern
                               UNION SELECT jobs.id FROM jobs WHERE jobs.description ILIKE @pattern
                               UNION SELECT jobs.id FROM jobs WHERE jobs.tags @> ARRAY[@term::text]),
page AS MATERIALIZED (
    SELECT jobs.id FROM jobs
    JOIN matches AS m ON m.id = jobs.id
    WHERE jobs.id < @before_id
      AND (sqlc.narg(type)::text IS NULL OR jobs.type = sqlc.narg(type))
      AND (sqlc.narg(paused)::boolean IS NULL OR jobs.paused = sqlc.narg(paused))
      AND (@tag::text = '' OR jobs.tags @> ARRAY[@tag::text])
    ORDER BY jobs.id DESC
    LIMIT @max_rows)
SELECT j.* FROM job_list_rows AS j
JOIN page AS p ON p.id = j.id
ORDER BY j.id DESC;

-- name: JobSearchAfter :many
WITH matches AS MATERIALIZED (SELECT jobs.id FROM jobs WHERE jobs.name ILIKE @pattern
                               UNION SELECT jobs.id FROM jobs WHERE jobs.description ILIKE @pattern
                               UNION SELECT jobs.id FROM jobs WHERE jobs.tags @> ARRAY[@term::text]),
page AS MATERIALIZED (
    SELECT jobs.id FROM jobs
    JOIN matches AS m ON m.id = jobs.id
    WHERE jobs.id > @after_id
      AND (sqlc.narg(type)::text IS NULL OR jobs.type = sqlc.narg(type))
      AND (sqlc.narg(paused)::boolean IS NULL OR jobs.paused = sqlc.narg(paused))
      AND (@tag::text = '' OR jobs.tags @> ARRAY[@tag::text])
    ORDER BY jobs.id
    LIMIT @max_rows)
SELECT j.* FROM job_list_rows AS j
JOIN page AS p ON p.id = j.id
ORDER BY j.id;

-- name: JobListRowGet :one
-- JobListRowGet is one job as the jobs list shows it, for the row an action on it redraws.
SELECT * FROM job_list_rows WHERE id = @id;

-- name: JobGetForUpdate :one
-- JobGetForUpdate reads a job that is about to change and locks it until the transaction ends, so
-- that the audit log's "from" is the version that was changed.
SELECT * FROM jobs WHERE id = @id FOR UPDATE;

-- Import and export below.

-- name: JobListAll :many
-- JobListAll pages through every job by id with all its fields, for export.
SELECT * FROM jobs
WHERE id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: JobListByNames :many
-- JobListByNames finds the jobs that have any of the names, for an import to match against, and
-- locks them until the import's transaction ends.
SELECT j.* FROM jobs AS j
JOIN (SELECT DISTINCT unnest(@names::text[]) AS name) AS n ON n.name = j.name
ORDER BY j.id
FOR UPDATE OF j;

-- name: JobInsertMany :many
-- JobInsertMany creates a batch of imported jobs in one statement. Identity values are taken in the
-- order the rows are inserted, so the ids answered, sorted, follow the order of the arrays.
-- Each job's alert channels come as an array literal ('{1,2}'), since an array of arrays cannot
-- be unnested row by row; for the same reason its secret references come as one comma-separated
-- text (a name holds no comma). An empty signing secret is none, and so is an empty start or end.
INSERT INTO jobs (name, type, payload, cron, timezone, max_retries, retry_delay_ms, timeout_ms, catchup, paused,
                  next_run_at, alert_channels, alert_after, retry_on, retry_backoff, signing_secret, secret_refs,
                  -- issue 21, jitter and windows
                  jitter_ms, start_at, end_at, blackouts,
                  -- overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
                  overlap, after_job_id, after_on, params, pause_after_failures, alert_on,
                  -- alert rules (issue 22)
                  alert_repeat_ms, alert_flap_window_ms,
                  -- tags and a description (issue 27)
                  tags, description)
SELECT u.name, u.type, u.payload, u.cron, u.timezone, u.max_retries, u.retry_delay_ms, u.timeout_ms, u.catchup, u.paused,
       NULLIF(u.next_run_at, '0001-01-01 00:00:00+00'), -- the zero time: none (a job with no cron)
       u.alert_channels::bigint[], u.alert_after,
       u.retry_on, u.retry_backoff, NULLIF(u.signing_secret, ''), COALESCE(string_to_array(NULLIF(u.secret_refs, ''), ','), '{}'),
       -- issue 21, jitter and windows
       u.jitter_ms, NULLIF(u.start_at, '')::timestamptz, NULLIF(u.end_at, '')::timestamptz, u.blackouts::jsonb,
       -- overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b); after job 0 is none
       u.overlap, NULLIF(u.after_job_id, 0), u.after_on, u.params, u.pause_after_failures, u.alert_on::text[],
       -- alert rules (issue 22)
       u.alert_repeat_ms, u.alert_flap_window_ms,
       -- tags and a description (issue 27): each job's tags as an array literal ('{a,b}')
       u.tags::text[], u.description
FROM (SELECT unnest(@names::text[]) AS name, unnest(@types::text[]) AS type, unnest(@payloads::json[]) AS payload,
             unnest(@crons::text[]) AS cron, unnest(@timezones::text[]) AS timezone,
             unnest(@max_retries::integer[]) AS max_retries, unnest(@retry_delay_ms::bigint[]) AS retry_delay_ms,
             unnest(@timeout_ms::bigint[]) AS timeout_ms, unnest(@catchups::text[]) AS catchup,
             unnest(@paused::boolean[]) AS paused,
             unnest(@next_run_ats::timestamptz[]) AS next_run_at,
             unnest(@alert_channels::text[]) AS alert_channels, unnest(@alert_afters::integer[]) AS alert_after,
             unnest(@retry_ons::text[]) AS retry_on, unnest(@retry_backoffs::text[]) AS retry_backoff,
             unnest(@signing_secrets::text[]) AS signing_secret, unnest(@secret_refs::text[]) AS secret_refs,
             -- issue 21, jitter and windows
             unnest(@jitter_ms::bigint[]) AS jitter_ms, unnest(@start_ats::text[]) AS start_at,
             unnest(@end_ats::text[]) AS end_at, unnest(@blackouts::text[]) AS blackouts,
             unnest(@ordinals::integer[]) AS ordinal,
             unnest(@overlap_policies::text[]) AS overlap, unnest(@after_job_ids::bigint[]) AS after_job_id,
             unnest(@after_ons::text[]) AS after_on, unnest(@params::jsonb[]) AS params,
             unnest(@pause_after_failures::integer[]) AS pause_after_failures,
             unnest(@alert_ons::text[]) AS alert_on,
             -- alert rules (issue 22)
             unnest(@alert_repeat_ms::bigint[]) AS alert_repeat_ms, unnest(@alert_flap_window_ms::bigint[]) AS alert_flap_window_ms,
             -- tags and a description (issue 27)
             unnest(@tags::text[]) AS tags, unnest(@descriptions::text[]) AS description) AS u
ORDER BY u.ordinal
RETURNING id;

-- name: JobUpdateMany :exec
-- JobUpdateMany changes a batch of imported jobs in one statement. updated_at moves on, so that the
-- scheduler takes the new schedule when the import's single notification reaches it. A job keeps
-- the signing secret it has.
UPDATE jobs
SET name = u.name, type = u.type, payload = u.payload, cron = u.cron, timezone = u.timezone,
    max_retries = u.max_retries, retry_delay_ms = u.retry_delay_ms, timeout_ms = u.timeout_ms, catchup = u.catchup,
    paused = u.paused, next_run_at = NULLIF(u.next_run_at, '0001-01-01 00:00:00+00'), updated_at = clock_timestamp(),
    alert_channels = u.alert_channels::bigint[], alert_after = u.alert_after,
    retry_on = u.retry_on, retry_backoff = u.retry_backoff,
    signing_secret = COALESCE(jobs.signing_secret, NULLIF(u.signing_secret, '')),
    secret_refs = COALESCE(string_to_array(NULLIF(u.secret_refs, ''), ','), '{}'),
    -- issue 21, jitter and windows
    jitter_ms = u.jitter_ms, start_at = NULLIF(u.start_at, '')::timestamptz, end_at = NULLIF(u.end_at, '')::timestamptz,
    blackouts = u.blackouts::jsonb,
    -- overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
    overlap = u.overlap, after_job_id = NULLIF(u.after_job_id, 0), after_on = u.after_on, params = u.params,
    pause_after_failures = u.pause_after_failures, alert_on = u.alert_on::text[],
    -- alert rules (issue 22)
    alert_repeat_ms = u.alert_repeat_ms, alert_flap_window_ms = u.alert_flap_window_ms,
    -- tags and a description (issue 27)
    tags = u.tags::text[], description = u.description
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@names::text[]) AS name, unnest(@types::text[]) AS type,
             unnest(@payloads::json[]) AS payload, unnest(@crons::text[]) AS cron,
             unnest(@timezones::text[]) AS timezone, unnest(@max_retries::integer[]) AS max_retries,
             unnest(@retry_delay_ms::bigint[]) AS retry_delay_ms, unnest(@timeout_ms::bigint[]) AS timeout_ms,
             unnest(@catchups::text[]) AS catchup,
             unnest(@paused::boolean[]) AS paused, unnest(@next_run_ats::timestamptz[]) AS next_run_at,
             unnest(@alert_channels::text[]) AS alert_channels, unnest(@alert_afters::integer[]) AS alert_after,
             unnest(@retry_ons::text[]) AS retry_on, unnest(@retry_backoffs::text[]) AS retry_backoff,
             unnest(@signing_secrets::text[]) AS signing_secret, unnest(@secret_refs::text[]) AS secret_refs,
             -- issue 21, jitter and windows
             unnest(@jitter_ms::bigint[]) AS jitter_ms, unnest(@start_ats::text[]) AS start_at,
             unnest(@end_ats::text[]) AS end_at, unnest(@blackouts::text[]) AS blackouts,
             unnest(@overlap_policies::text[]) AS overlap, unnest(@after_job_ids::bigint[]) AS after_job_id,
             unnest(@after_ons::text[]) AS after_on, unnest(@params::jsonb[]) AS params,
             unnest(@pause_after_failures::integer[]) AS pause_after_failures,
             unnest(@alert_ons::text[]) AS alert_on,
             -- alert rules (issue 22)
             unnest(@alert_repeat_ms::bigint[]) AS alert_repeat_ms,
             unnest(@alert_flap_window_ms::bigint[]) AS alert_flap_window_ms,
             -- tags and a description (issue 27)
             unnest(@tags::text[]) AS tags, unnest(@descriptions::text[]) AS description) AS u
WHERE jobs.id = u.id;

-- name: JobQuietNotifications :exec
-- JobQuietNotifications keeps the jobs trigger from notifying for the rest of the transaction (see
-- migration 00007); the transaction calls JobNotifyAll instead.
SELECT set_config('cronflow.quiet_jobs', 'on', true);

-- name: JobNotifyAll :exec
-- JobNotifyAll tells every scheduler to compare all jobs with its cron table, once, at commit.
SELECT pg_notify('cronflow_jobs', '*');

-- Signing (issues 20 and 22): rotating a job's signing secret, and sealing signing secrets.

-- name: JobRotateSigningSecret :one
-- JobRotateSigningSecret gives a job a new signing secret; the one it replaces stays valid, its
-- signature sent beside the new one's, for overlap_ms.
UPDATE jobs
SET previous_signing_secret = signing_secret,
    previous_secret_until = clock_timestamp() + (@overlap_ms::bigint) * interval '1 millisecond',
    signing_secret = @signing_secret, updated_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: JobListSigningSecretsToSeal :many
-- JobListSigningSecretsToSeal lists the jobs with a signing secret that does not begin with prefix,
-- the current key's: plain ones, and ones sealed with the previous key.
SELECT id, signing_secret, previous_signing_secret FROM jobs
WHERE starts_with(signing_secret, @prefix::text) IS FALSE
   OR starts_with(previous_signing_secret, @prefix::text) IS FALSE
ORDER BY id;

-- name: JobSealSigningSecrets :execrows
-- JobSealSigningSecrets replaces a job's signing secrets with their sealed versions, if they are
-- still the ones that were read: a rotation in between wins.
UPDATE jobs
SET signing_secret = sqlc.narg(new_secret)::text, previous_signing_secret = sqlc.narg(new_previous)::text
WHERE id = @id
  AND signing_secret IS NOT DISTINCT FROM sqlc.narg(old_secret)::text
  AND previous_signing_secret IS NOT DISTINCT FROM sqlc.narg(old_previous)::text;

-- Sorting and the failing filter (issue 27, dash27).

-- name: JobListSorted :many
-- JobListSorted is the dashboard's job list sorted by a column (sort: name, next, last, each with
-- a leading "-" for the other way; anything else is newest first), or filtered to failing jobs, a
-- page at a time by offset: a sort has no keyset the list could walk for every column, and a page
-- beyond the first is asked for by number. Last run orders by each job's newest run (ids grow as
-- runs are made). Ties fall back to the id, so pages never share or lose a row while nothing changes.
SELECT j.* FROM job_list_rows AS j
WHERE (@pattern::text = '' OR j.id IN (SELECT m.id FROM jobs AS m WHERE m.name ILIKE @pattern OR m.description ILIKE @pattern
                                                                   OR m.tags @> ARRAY[@term::text]))
  AND (@tag::text = '' OR j.id IN (SELECT t.id FROM jobs AS t WHERE t.tags @> ARRAY[@tag::text]))
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
  AND (NOT @failing::boolean OR EXISTS (SELECT 1 FROM job_alert_state AS s WHERE s.job_id = j.id AND s.failing))
ORDER BY
    CASE WHEN @sort::text = 'name' THEN lower(j.name) END ASC,
    CASE WHEN @sort::text = '-name' THEN lower(j.name) END DESC,
    CASE WHEN @sort::text = 'next' THEN j.next_run_at END ASC NULLS LAST,
    CASE WHEN @sort::text = '-next' THEN j.next_run_at END DESC NULLS LAST,
    CASE WHEN @sort::text = 'last' THEN (SELECT max(r.id) FROM runs AS r WHERE r.job_id = j.id) END DESC NULLS LAST,
    CASE WHEN @sort::text = '-last' THEN (SELECT max(r.id) FROM runs AS r WHERE r.job_id = j.id) END ASC NULLS LAST,
    j.id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: JobCountScheduled :one
-- JobCountScheduled counts the jobs that will run: the home page's "Jobs scheduled" leaves paused ones out.
SELECT count(*) FROM jobs WHERE NOT paused;

-- Tags, descriptions and bulk actions (issue 27, tags-bulk).

-- name: JobTagsList :many
-- JobTagsList is the tags and description of each of these jobs, for the rows and cards that show
-- them as chips; the job list view leaves them out so that its other users do not read them.
SELECT id, tags, description FROM jobs WHERE id = ANY(@ids::bigint[]);

-- name: JobTagsAll :many
-- JobTagsAll is every tag in use with how many jobs have it, for the tag filters' choices.
SELECT t.tag::text AS tag, count(*) AS jobs
FROM jobs, unnest(jobs.tags) AS t(tag)
GROUP BY t.tag
ORDER BY t.tag
LIMIT @max_rows;

-- name: JobIDsMatching :many
-- JobIDsMatching resolves a bulk action's filter to job ids, newest first, at most max_rows: the
-- same filters as the jobs list (name, description or tag search; type; paused; failing; tag).
SELECT j.id FROM jobs AS j
WHERE (@pattern::text = '' OR j.name ILIKE @pattern OR j.description ILIKE @pattern OR j.tags @> ARRAY[@term::text])
  AND (@tag::text = '' OR j.tags @> ARRAY[@tag::text])
  AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
  AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
  AND (NOT @failing::boolean OR EXISTS (SELECT 1 FROM job_alert_state AS s WHERE s.job_id = j.id AND s.failing))
ORDER BY j.id DESC
LIMIT @max_rows;

-- name: JobCountMatching :one
-- JobCountMatching counts the jobs JobIDsMatching would answer, up to max_rows, for "select all N
-- matching".
SELECT count(*) FROM (
    SELECT 1 FROM jobs AS j
    WHERE (@pattern::text = '' OR j.name ILIKE @pattern OR j.description ILIKE @pattern OR j.tags @> ARRAY[@term::text])
      AND (@tag::text = '' OR j.tags @> ARRAY[@tag::text])
      AND (sqlc.narg(type)::text IS NULL OR j.type = sqlc.narg(type))
      AND (sqlc.narg(paused)::boolean IS NULL OR j.paused = sqlc.narg(paused))
      AND (NOT @failing::boolean OR EXISTS (SELECT 1 FROM job_alert_state AS s WHERE s.job_id = j.id AND s.failing))
    LIMIT @max_rows) AS m;

-- name: JobListDueWithin :many
-- JobListDueWithin lists the active jobs with a cron whose next slot comes before until, soonest
-- first: the home page's "Next 24 hours" (issue 27) steps through their schedules from there. A
-- tag, if given, keeps the jobs that have it.
SELECT * FROM jobs
WHERE NOT paused AND cron <> '' AND next_run_at IS NOT NULL AND next_run_at < @until::timestamptz
    AND (sqlc.narg(tag)::text IS NULL OR tags @> ARRAY[sqlc.narg(tag)::text])
ORDER BY next_run_at
LIMIT @max_rows;

-- name: JobNamesByIDs :many
-- JobNamesByIDs names the jobs among ids, for the audit log's changes (one query a page).
SELECT id, name FROM jobs WHERE id = ANY(@ids::bigint[]);
