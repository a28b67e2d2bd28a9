-- +goose Up
-- A job's signing secret can be rotated as a channel's can (00014): while the rotation's overlap
-- lasts, the secret it replaced keys a second signature. With CRONFLOW_SECRET_KEY set, both are
-- stored sealed ("sealed:…", see worker/secret/text.go), as are channels' signing secrets.
ALTER TABLE jobs
    ADD COLUMN previous_signing_secret text,
    ADD COLUMN previous_secret_until   timestamptz;

-- +goose Down
ALTER TABLE jobs
    DROP COLUMN previous_secret_until,
    DROP COLUMN previous_signing_secret;
