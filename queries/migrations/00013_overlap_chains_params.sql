-- +goose Up
-- Issue 21, the half about runs that depend on other runs: overlap policies, jobs that run after
-- another job's run, per-run parameters, pausing after failures, and backfill.

-- Two more statuses. A skipped run is a slot that was not executed on purpose (an earlier run of
-- its job was still unsettled and the job's overlap policy said so; its error says why). A
-- cancelled run was stopped before it finished (a later slot replaced it). The constraint is
-- dropped and made again with the full list, so this is harmless whichever migration adds a
-- status first.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed', 'missed',
                      'skipped', 'cancelled')) NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_status_check;

-- A run is made by its schedule, by hand, by a backfill, or after a run of another job.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_trigger_check;
ALTER TABLE runs ADD CONSTRAINT runs_trigger_check
    CHECK (trigger IN ('schedule', 'manual', 'backfill', 'after')) NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_trigger_check;

-- overlap, after, params, pause_after_failures (issue 21, sched-b)
-- overlap is what a slot does while an earlier run of its job is unsettled. after_job_id and
-- after_on make a job run once for each run of another job that settles that way; such a job may
-- have no cron. params are the job's parameters with their defaults ({{params.NAME}}).
-- pause_after_failures pauses the job after that many runs failed for good in a row (0: never);
-- paused_reason says why a job paused itself. alert_on names the events its alert channels hear.
ALTER TABLE jobs
    ADD COLUMN overlap text NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip', 'queue', 'replace')),
    ADD COLUMN after_job_id bigint REFERENCES jobs (id) ON DELETE SET NULL,
    ADD COLUMN after_on text NOT NULL DEFAULT 'success' CHECK (after_on IN ('success', 'failure', 'settled')),
    ADD COLUMN params jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN pause_after_failures integer NOT NULL DEFAULT 0 CHECK (pause_after_failures BETWEEN 0 AND 1000),
    ADD COLUMN paused_reason text NOT NULL DEFAULT '',
    ADD COLUMN alert_on text[] NOT NULL DEFAULT '{failing,recovered}';
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_cron_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_cron_check CHECK (length(cron) <= 200);
CREATE INDEX jobs_after_job_id_idx ON jobs (after_job_id) WHERE after_job_id IS NOT NULL;

-- A run's params are the values it used. trigger_run_id is the upstream run an 'after' run was
-- made for: one run per (job, upstream run), however often the settle is replayed.
-- cancel_requested_at asks the consumer running the run to stop it (overlap 'replace');
-- waiting_since marks a queued run held back until the run before it settles (overlap 'queue').
ALTER TABLE runs
    ADD COLUMN params jsonb,
    ADD COLUMN trigger_run_id bigint REFERENCES runs (id) ON DELETE SET NULL,
    ADD COLUMN cancel_requested_at timestamptz,
    ADD COLUMN waiting_since timestamptz;
CREATE UNIQUE INDEX runs_job_trigger_run_key ON runs (job_id, trigger_run_id) WHERE trigger_run_id IS NOT NULL;
-- The overlap check looks for a job's unsettled runs.
CREATE INDEX runs_job_unsettled_idx ON runs (job_id, id) WHERE status IN ('queued', 'running', 'failed');

-- An attempt stopped because a later run replaced it is kept as cancelled.
ALTER TABLE run_attempts DROP CONSTRAINT IF EXISTS run_attempts_outcome_check;
ALTER TABLE run_attempts ADD CONSTRAINT run_attempts_outcome_check
    CHECK (outcome IN ('completed', 'failed', 'permanently_failed', 'cancelled')) NOT VALID;
ALTER TABLE run_attempts VALIDATE CONSTRAINT run_attempts_outcome_check;

-- Notices about skipped slots and a job that paused itself.
ALTER TABLE notices DROP CONSTRAINT IF EXISTS notices_event_check;
ALTER TABLE notices ADD CONSTRAINT notices_event_check
    CHECK (event IN ('job.failing', 'job.recovered', 'channel.test', 'job.skipped', 'job.paused')) NOT VALID;
ALTER TABLE notices VALIDATE CONSTRAINT notices_event_check;

-- +goose Down
DELETE FROM notices WHERE event IN ('job.skipped', 'job.paused');
ALTER TABLE notices DROP CONSTRAINT notices_event_check;
ALTER TABLE notices ADD CONSTRAINT notices_event_check
    CHECK (event IN ('job.failing', 'job.recovered', 'channel.test'));
DELETE FROM run_attempts WHERE outcome = 'cancelled';
ALTER TABLE run_attempts DROP CONSTRAINT run_attempts_outcome_check;
ALTER TABLE run_attempts ADD CONSTRAINT run_attempts_outcome_check
    CHECK (outcome IN ('completed', 'failed', 'permanently_failed'));
DROP INDEX runs_job_unsettled_idx;
DROP INDEX runs_job_trigger_run_key;
ALTER TABLE runs DROP COLUMN waiting_since, DROP COLUMN cancel_requested_at, DROP COLUMN trigger_run_id,
    DROP COLUMN params;
DROP INDEX jobs_after_job_id_idx;
UPDATE jobs SET cron = '0 0 1 1 *', paused = true WHERE cron = '';
ALTER TABLE jobs DROP CONSTRAINT jobs_cron_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_cron_check CHECK (length(cron) BETWEEN 1 AND 200);
ALTER TABLE jobs DROP COLUMN alert_on, DROP COLUMN paused_reason, DROP COLUMN pause_after_failures,
    DROP COLUMN params, DROP COLUMN after_on, DROP COLUMN after_job_id, DROP COLUMN overlap;
DELETE FROM runs WHERE status IN ('skipped', 'cancelled') OR trigger IN ('backfill', 'after');
ALTER TABLE runs DROP CONSTRAINT runs_trigger_check;
ALTER TABLE runs ADD CONSTRAINT runs_trigger_check CHECK (trigger IN ('schedule', 'manual'));
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed', 'missed'));
