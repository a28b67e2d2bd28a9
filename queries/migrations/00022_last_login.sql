-- +goose Up
-- Issue 27: when each user last finished signing in (password, OpenID Connect, passkey, with their
-- second factor if any), for the users page and GET /api/users. Null: never since this release.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN last_login_at;
