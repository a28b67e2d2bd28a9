-- +goose Up
-- An API token may expire: after expires_at it is refused as a wrong token is. NULL never expires.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN expires_at;
