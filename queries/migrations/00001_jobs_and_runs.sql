-- +goose Up
CREATE TABLE jobs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type           text        NOT NULL CHECK (type IN ('ping', 'email', 'slack', 'webhook')),
    payload        json        NOT NULL, -- json, not jsonb: a webhook body is sent exactly as given
    cron           text        NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
    timezone       text        NOT NULL DEFAULT 'UTC',
    max_retries    integer     NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 10),
    retry_delay_ms bigint      NOT NULL DEFAULT 2000 CHECK (retry_delay_ms BETWEEN 1000 AND 3600000),
    timeout_ms     bigint      NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 1000 AND 300000),
    paused         boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    next_run_at    timestamptz
);

CREATE INDEX jobs_name_idx ON jobs (lower(name), id);
CREATE INDEX jobs_next_run_at_idx ON jobs (next_run_at) WHERE NOT paused;

CREATE TABLE runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    status          text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed')),
    trigger         text        NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    attempts        integer     NOT NULL DEFAULT 0,
    retry_count     integer     NOT NULL DEFAULT 0,
    scheduled_at    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    started_at      timestamptz,
    completed_at    timestamptz,
    lease_until     timestamptz,
    next_attempt_at timestamptz,
    output          text        NOT NULL DEFAULT '',
    error           text        NOT NULL DEFAULT '',
    CONSTRAINT runs_job_slot_key UNIQUE (job_id, scheduled_at)
);

CREATE INDEX runs_status_id_idx ON runs (status, id);
CREATE INDEX runs_job_id_id_idx ON runs (job_id, id);
-- The reaper looks for runs that are waiting on something that may have been lost.
CREATE INDEX runs_pending_idx ON runs (status, published_at) WHERE status IN ('queued', 'running', 'failed');

-- Every replica's scheduler learns about job changes through this channel, whoever made them.
-- +goose StatementBegin
CREATE FUNCTION jobs_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('cronflow_jobs', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER jobs_changed_insert AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_notify_change();
CREATE TRIGGER jobs_changed_delete AFTER DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_notify_change();
-- Only edits bump updated_at; the scheduler moving next_run_at along does not wake anybody.
CREATE TRIGGER jobs_changed_update AFTER UPDATE ON jobs
    FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION jobs_notify_change();

-- +goose Down
DROP TABLE runs;
DROP TABLE jobs;
DROP FUNCTION jobs_notify_change();
