-- +goose Up
-- Issue 21, first half: when a job's slots fall.
-- jitter_ms delays every slot of a job by the same offset in [0, jitter), chosen from its id, so that
-- jobs at the same time spread out; start_at and end_at bound its slots; blackouts are up to 100
-- ranges [from, to) of RFC 3339 times whose slots are recorded as skipped runs and not executed.
ALTER TABLE jobs
    ADD COLUMN jitter_ms bigint NOT NULL DEFAULT 0 CHECK (jitter_ms BETWEEN 0 AND 3600000),
    ADD COLUMN start_at timestamptz,
    ADD COLUMN end_at timestamptz,
    ADD COLUMN blackouts jsonb NOT NULL DEFAULT '[]'
        CHECK (jsonb_typeof(blackouts) = 'array' AND jsonb_array_length(blackouts) <= 100),
    ADD CONSTRAINT jobs_start_before_end CHECK (start_at < end_at);

-- cronflow_in_blackout reports whether a slot falls in one of a job's blackouts, each
-- {"from": ..., "to": ...} with from included and to not; the queries that make runs ask it.
CREATE FUNCTION cronflow_in_blackout(blackouts jsonb, slot timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(blackouts) AS b
                   WHERE slot >= (b->>'from')::timestamptz AND slot < (b->>'to')::timestamptz)
$$;

-- A slot in a blackout is a run with status 'skipped' and the reason in its error. sched-b's 00013
-- drops and re-adds this check with every status; 'skipped' is added here too so that this
-- migration stands on its own.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed', 'missed', 'skipped')) NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_status_check;

-- +goose Down
DELETE FROM runs WHERE status = 'skipped';
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed', 'missed'));
DROP FUNCTION cronflow_in_blackout(jsonb, timestamptz);
ALTER TABLE jobs DROP CONSTRAINT jobs_start_before_end,
    DROP COLUMN blackouts, DROP COLUMN end_at, DROP COLUMN start_at, DROP COLUMN jitter_ms;
