-- +goose Up
-- Issue 11: every attempt of a run, notification channels, alerts and their notices, and the
-- counts behind a job's health.

-- run_attempts keeps every attempt of a run, written by the statement that records the attempt's
-- result (RunComplete, RunFail, RunFailPermanently), so a run that completed after two failures
-- still shows them.
CREATE TABLE run_attempts (
    run_id      bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    attempt     integer     NOT NULL CHECK (attempt >= 1),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('completed', 'failed', 'permanently_failed')),
    error       text        NOT NULL DEFAULT '',
    output      text        NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, attempt)
);

-- A notification channel is where alerts go. config holds what its type needs ({"to": [...]},
-- {"webhook_url": "..."} or {"url": "..."}), checked by the channel type before it is stored.
CREATE TABLE channels (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type       text        NOT NULL CHECK (type IN ('email', 'slack', 'webhook')),
    config     jsonb       NOT NULL,
    is_default boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A job's alerts: the channels told when it starts failing and when it recovers, and after how
-- many consecutive failed runs. The ids are kept as an array so that a job and its alerts are
-- stored by one statement; deleting a channel takes it out of every job (ChannelDelete).
ALTER TABLE jobs
    ADD COLUMN alert_channels bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN alert_after    integer  NOT NULL DEFAULT 1 CHECK (alert_after BETWEEN 1 AND 1000);
CREATE INDEX jobs_alert_channels_idx ON jobs USING gin (alert_channels);

-- job_alert_state is where a job stands for alerting: its failed runs in a row, whether the
-- failing notice went out (nothing more is sent until it recovers), and the episode, counted up
-- at each failing notice, that keys the notices so none is made twice.
CREATE TABLE job_alert_state (
    job_id               bigint      PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    failing              boolean     NOT NULL DEFAULT false,
    episode              bigint      NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A notice is one message to one channel. Its key (channel, job, episode, event) means an episode
-- sends each channel one failing and one recovered notice at most, however often the decision is
-- replayed; its status is what its delivery came to. Test notices have no job.
CREATE TABLE notices (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id           bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    job_id               bigint      REFERENCES jobs (id) ON DELETE CASCADE,
    run_id               bigint      REFERENCES runs (id) ON DELETE SET NULL,
    event                text        NOT NULL CHECK (event IN ('job.failing', 'job.recovered', 'channel.test')),
    episode              bigint      NOT NULL DEFAULT 0,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    -- details is what the notice says (the job, the run, the error), fixed when it is made.
    details              jsonb       NOT NULL DEFAULT '{}',
    status               text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'failed')),
    attempts             integer     NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    published_at         timestamptz,
    lease_until          timestamptz,
    next_attempt_at      timestamptz,
    sent_at              timestamptz,
    output               text        NOT NULL DEFAULT '',
    error                text        NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX notices_once_idx ON notices (channel_id, job_id, episode, event) WHERE event <> 'channel.test';
CREATE INDEX notices_channel_id_idx ON notices (channel_id, id);
CREATE INDEX notices_pending_idx ON notices (status, published_at) WHERE status IN ('queued', 'sending', 'retrying');

-- job_hourly_stats counts each job's settled runs by the hour they settled in, so that a job's
-- success rate over 24 hours or 7 days adds up at most 168 rows, whatever the number of runs.
CREATE TABLE job_hourly_stats (
    job_id    bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    hour      timestamptz NOT NULL,
    completed integer     NOT NULL DEFAULT 0,
    failed    integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, hour)
);
INSERT INTO job_hourly_stats (job_id, hour, completed, failed)
SELECT job_id, date_trunc('hour', completed_at),
    count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed')
FROM runs
WHERE completed_at > now() - interval '7 days' AND status IN ('completed', 'permanently_failed')
GROUP BY 1, 2;

-- The jobs list's health strip reads each job's last 20 runs from the index alone.
CREATE INDEX runs_job_id_id_status_idx ON runs (job_id, id) INCLUDE (status);
DROP INDEX runs_job_id_id_idx;

-- job_list_rows gains recent_statuses: the job's last 20 runs' statuses, newest first.
CREATE OR REPLACE VIEW job_list_rows AS
SELECT j.id, j.name, j.type, j.payload, j.cron, j.timezone, j.paused, j.created_at, j.next_run_at,
    COALESCE(lr.statuses[1], '')::text AS last_run_status,
    COALESCE(lr.statuses, '{}')::text[] AS recent_statuses
FROM jobs AS j
LEFT JOIN LATERAL (
    SELECT array_agg(r.status ORDER BY r.id DESC) AS statuses
    FROM (SELECT id, status FROM runs WHERE runs.job_id = j.id ORDER BY id DESC LIMIT 20) AS r
) AS lr ON true;

-- +goose Down
DROP VIEW job_list_rows;
CREATE VIEW job_list_rows AS
SELECT j.id, j.name, j.type, j.payload, j.cron, j.timezone, j.paused, j.created_at, j.next_run_at,
    COALESCE(lr.status, '')::text AS last_run_status
FROM jobs AS j
LEFT JOIN LATERAL (SELECT r.status FROM runs AS r WHERE r.job_id = j.id ORDER BY r.id DESC LIMIT 1) AS lr ON true;
CREATE INDEX runs_job_id_id_idx ON runs (job_id, id);
DROP INDEX runs_job_id_id_status_idx;
DROP TABLE job_hourly_stats;
DROP TABLE notices;
DROP TABLE job_alert_state;
ALTER TABLE jobs DROP COLUMN alert_after, DROP COLUMN alert_channels;
DROP TABLE channels;
DROP TABLE run_attempts;
