-- +goose Up
-- Issue 25, the database's slow paths: what refers to a run is found by an index, a notice goes
-- with its run, a deleted job's runs go in the background, and the totals by status are counters.

-- Deleting a run looks for its notices and for the runs it triggered: without these indexes each
-- deleted run read both tables whole. Deleting a job looks for its notices the same way.
CREATE INDEX notices_run_id_idx ON notices (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX notices_job_id_idx ON notices (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX runs_trigger_run_id_idx ON runs (trigger_run_id) WHERE trigger_run_id IS NOT NULL;

-- A notice is pruned with its run: once the run is gone, it tells of nothing the dashboard shows.
-- Notices with no run (test notices, notices whose run an earlier release unlinked) are deleted
-- by retention at the same age as failed runs (NoticeDeleteExpired).
ALTER TABLE notices DROP CONSTRAINT notices_run_id_fkey;
ALTER TABLE notices ADD CONSTRAINT notices_run_id_fkey
    FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE notices VALIDATE CONSTRAINT notices_run_id_fkey;
CREATE INDEX notices_runless_created_at_idx ON notices (created_at) WHERE run_id IS NULL;

-- job_keys holds the id of every job, and of every deleted job whose runs are not all deleted yet
-- (deleted_at set). Runs refer to it instead of to jobs, so that deleting a job deletes its row at
-- once, and with it the job from every list, the API and the scheduler, while its runs, which may
-- be millions, are deleted afterwards in short batches (worker/purger.go). A run whose job is gone
-- is never claimed (RunClaim joins jobs). The rows are kept by triggers on jobs, so that every
-- statement that makes or deletes jobs keeps them right.
CREATE TABLE job_keys (
    id         bigint PRIMARY KEY,
    deleted_at timestamptz
);
CREATE INDEX job_keys_deleted_idx ON job_keys (deleted_at, id) WHERE deleted_at IS NOT NULL;
INSERT INTO job_keys (id) SELECT id FROM jobs;
ALTER TABLE runs DROP CONSTRAINT runs_job_id_fkey;
ALTER TABLE runs ADD CONSTRAINT runs_job_id_fkey
    FOREIGN KEY (job_id) REFERENCES job_keys (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_job_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION cronflow_job_keys_made() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_keys (id) SELECT id FROM made ON CONFLICT (id) DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION cronflow_job_keys_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE job_keys SET deleted_at = clock_timestamp() FROM gone WHERE job_keys.id = gone.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER jobs_keys_made AFTER INSERT ON jobs REFERENCING NEW TABLE AS made
    FOR EACH STATEMENT EXECUTE FUNCTION cronflow_job_keys_made();
CREATE TRIGGER jobs_keys_gone AFTER DELETE ON jobs REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION cronflow_job_keys_gone();

-- run_counts is the number of runs in each status, kept by the statements that change runs, so
-- that /api/stats and the home page read a few rows instead of counting every run. Each statement
-- appends what it changed, one row per status (no row is updated, so concurrent statements never
-- wait for each other); the leader folds the rows into one per status (RunCountFold). A total is
-- the sum of its status's rows, exact in every snapshot.
CREATE TABLE run_counts (
    status text   NOT NULL,
    runs   bigint NOT NULL
);
INSERT INTO run_counts (status, runs) SELECT status, count(*) FROM runs GROUP BY status;

-- +goose StatementBegin
CREATE FUNCTION cronflow_run_counts_made() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_counts (status, runs) SELECT status, count(*) FROM made GROUP BY status;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION cronflow_run_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_counts (status, runs)
    SELECT status, sum(n) FROM (SELECT status, 1 AS n FROM after UNION ALL SELECT status, -1 FROM before) AS d
    GROUP BY status HAVING sum(n) <> 0;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION cronflow_run_counts_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_counts (status, runs) SELECT status, -count(*) FROM gone GROUP BY status;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION cronflow_run_counts_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM run_counts;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER runs_counts_made AFTER INSERT ON runs REFERENCING NEW TABLE AS made
    FOR EACH STATEMENT EXECUTE FUNCTION cronflow_run_counts_made();
CREATE TRIGGER runs_counts_changed AFTER UPDATE ON runs REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION cronflow_run_counts_changed();
CREATE TRIGGER runs_counts_gone AFTER DELETE ON runs REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION cronflow_run_counts_gone();
CREATE TRIGGER runs_counts_emptied AFTER TRUNCATE ON runs
    FOR EACH STATEMENT EXECUTE FUNCTION cronflow_run_counts_emptied();

-- +goose Down
DROP TRIGGER runs_counts_emptied ON runs;
DROP TRIGGER runs_counts_gone ON runs;
DROP TRIGGER runs_counts_changed ON runs;
DROP TRIGGER runs_counts_made ON runs;
DROP FUNCTION cronflow_run_counts_emptied();
DROP FUNCTION cronflow_run_counts_gone();
DROP FUNCTION cronflow_run_counts_changed();
DROP FUNCTION cronflow_run_counts_made();
DROP TABLE run_counts;
DROP TRIGGER jobs_keys_gone ON jobs;
DROP TRIGGER jobs_keys_made ON jobs;
DROP FUNCTION cronflow_job_keys_gone();
DROP FUNCTION cronflow_job_keys_made();
DELETE FROM runs WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = runs.job_id);
ALTER TABLE runs DROP CONSTRAINT runs_job_id_fkey;
ALTER TABLE runs ADD CONSTRAINT runs_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
DROP TABLE job_keys;
DROP INDEX notices_runless_created_at_idx;
ALTER TABLE notices DROP CONSTRAINT notices_run_id_fkey;
ALTER TABLE notices ADD CONSTRAINT notices_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE SET NULL;
DROP INDEX runs_trigger_run_id_idx;
DROP INDEX notices_job_id_idx;
DROP INDEX notices_run_id_idx;
