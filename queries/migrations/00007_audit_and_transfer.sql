-- +goose Up
-- The audit log: who changed what, and when. subject names what changed (a job's, user's or
-- token's name). job_id has no foreign key on purpose: a deleted job's history stays readable for as
-- long as the log keeps entries (a year).
CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor   text        NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    action  text        NOT NULL CHECK (action ~ '^[a-z]+\.[a-z_]+$'),
    subject text        NOT NULL DEFAULT '',
    job_id  bigint,
    changes jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(changes) = 'object')
);

-- A job's page shows its history, newest first; retention deletes entries by age.
CREATE INDEX audit_log_job_id_id_idx ON audit_log (job_id, id) WHERE job_id IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- An import changes thousands of jobs in one transaction. It sets cronflow.quiet_jobs for that
-- transaction, so that the per-row trigger stays quiet, and notifies once ('*': look at every job)
-- when it is done, instead of waking the scheduler once per job.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_notify_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('cronflow.quiet_jobs', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('cronflow_jobs', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('cronflow_jobs', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
DROP TABLE audit_log;
