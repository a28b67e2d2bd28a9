-- +goose Up
-- Every channel has a Standard Webhooks signing secret (whsec_ and base64 of 32 random bytes, from two random
-- UUIDs' 244 random bits), used by webhook channels, and while a rotation's overlap lasts the
-- secret it replaced, whose signature is sent too.
ALTER TABLE channels
    ADD COLUMN signing_secret text NOT NULL DEFAULT ('whsec_' || encode(decode(
        replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'), 'base64')),
    ADD COLUMN previous_signing_secret text,
    ADD COLUMN previous_secret_until   timestamptz;

-- +goose Down
ALTER TABLE channels
    DROP COLUMN previous_secret_until,
    DROP COLUMN previous_signing_secret,
    DROP COLUMN signing_secret;
