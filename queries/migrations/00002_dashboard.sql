-- +goose Up
-- Searching jobs by any part of their name: a trigram index answers ILIKE '%text%'. pg_trgm ships
-- with PostgreSQL and is a trusted extension, so the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX jobs_name_trgm_idx ON jobs USING gin (name gin_trgm_ops);

-- The runs page filtered by job and status: without it, a job with many runs and none in that
-- status is read run by run.
CREATE INDEX runs_job_id_status_id_idx ON runs (job_id, status, id);

-- The home page's chart counts the last 24 hours of runs by their slot.
CREATE INDEX runs_scheduled_at_idx ON runs (scheduled_at) INCLUDE (status);

-- +goose Down
DROP INDEX runs_scheduled_at_idx;
DROP INDEX runs_job_id_status_id_idx;
DROP INDEX jobs_name_trgm_idx;
