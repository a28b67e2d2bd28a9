-- +goose Up
-- Secrets are values that jobs name in templates ({{secrets.NAME}}) instead of holding them. Only
-- the sealed value is stored (AES-256-GCM, see worker/secret), with the id of the key that sealed
-- it, so that a key rotation can find the values to seal again.
CREATE TABLE secrets (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL UNIQUE CHECK (name ~ '^[A-Z][A-Z0-9_]*$' AND length(name) <= 100),
    key_id     text        NOT NULL,
    sealed     bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- retry_on and retry_backoff are a job's retry policy. signing_secret keys the signature of a
-- signed webhook (made once, kept across edits). secret_refs are the secrets its payload names, so
-- that deleting a secret in use can be refused.
ALTER TABLE jobs
    ADD COLUMN retry_on text NOT NULL DEFAULT 'transient' CHECK (retry_on IN ('transient', 'any')),
    ADD COLUMN retry_backoff text NOT NULL DEFAULT 'fixed' CHECK (retry_backoff IN ('fixed', 'exponential')),
    ADD COLUMN signing_secret text,
    ADD COLUMN secret_refs text[] NOT NULL DEFAULT '{}';

CREATE INDEX jobs_secret_refs_idx ON jobs USING gin (secret_refs);

-- +goose Down
DROP INDEX jobs_secret_refs_idx;
ALTER TABLE jobs DROP COLUMN secret_refs, DROP COLUMN signing_secret, DROP COLUMN retry_backoff, DROP COLUMN retry_on;
DROP TABLE secrets;
