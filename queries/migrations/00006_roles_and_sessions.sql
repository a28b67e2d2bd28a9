-- +goose Up
-- Roles: an admin does everything, users and tokens included; an editor changes jobs and runs them;
-- a viewer only looks. Every user before this migration was the bootstrap admin.
ALTER TABLE users
    ADD COLUMN role        text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'editor', 'viewer')),
    ADD COLUMN disabled_at timestamptz;
ALTER TABLE users ALTER COLUMN role SET DEFAULT 'viewer';

-- A token acts with its own role, never above its owner's; the tokens made so far were an admin's.
ALTER TABLE api_tokens
    ADD COLUMN role text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'editor', 'viewer'));
ALTER TABLE api_tokens ALTER COLUMN role SET DEFAULT 'viewer';

-- Sessions end after a time without use as well as at their absolute expiry, and a person can see
-- theirs (where and when) and end them.
ALTER TABLE sessions
    ADD COLUMN id           bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN client_ip    text        NOT NULL DEFAULT '' CHECK (length(client_ip) <= 100),
    ADD COLUMN user_agent   text        NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- +goose Down
DROP INDEX sessions_user_id_idx;
ALTER TABLE sessions DROP COLUMN user_agent, DROP COLUMN client_ip, DROP COLUMN last_seen_at, DROP COLUMN id;
ALTER TABLE api_tokens DROP COLUMN role;
ALTER TABLE users DROP COLUMN disabled_at, DROP COLUMN role;
