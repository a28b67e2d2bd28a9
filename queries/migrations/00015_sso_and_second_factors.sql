-- +goose Up
-- Single sign-on: a user created by an OpenID provider is that provider's subject, and has no
-- password (an empty hash matches none).
ALTER TABLE users
    ADD COLUMN oidc_issuer  text CHECK (length(oidc_issuer) <= 300),
    ADD COLUMN oidc_subject text CHECK (length(oidc_subject) <= 300);
CREATE UNIQUE INDEX users_oidc_idx ON users (oidc_issuer, oidc_subject);

-- A session says how it signed in, and whether it still waits for a second factor ('factor') or
-- for one to be enrolled ('enrol'); until then it reaches nothing else.
ALTER TABLE sessions
    ADD COLUMN method text NOT NULL DEFAULT 'password' CHECK (length(method) <= 50),
    ADD COLUMN stage  text NOT NULL DEFAULT 'done' CHECK (stage IN ('done', 'factor', 'enrol'));

-- A TOTP (RFC 6238) secret, usable once confirmed by a code. last_step is the last time step a code
-- was accepted for: a code is never accepted twice.
CREATE TABLE user_totp (
    user_id      bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       text        NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes for a lost TOTP device; only a hash is stored.
CREATE TABLE recovery_codes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea       NOT NULL,
    used_at   timestamptz,
    UNIQUE (user_id, code_hash)
);

-- Passkeys (WebAuthn credentials): the public key and what the library keeps of it, as JSON.
CREATE TABLE passkeys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    credential_id bytea       NOT NULL UNIQUE,
    credential    jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX passkeys_user_id_idx ON passkeys (user_id);

-- A sign-in ceremony in progress (an OpenID Connect redirect, a WebAuthn challenge): what it must
-- find again when the browser comes back, under a hash of a random token, used once.
CREATE TABLE login_flows (
    token_hash bytea PRIMARY KEY,
    kind       text        NOT NULL CHECK (length(kind) <= 50),
    user_id    bigint REFERENCES users (id) ON DELETE CASCADE,
    data       jsonb       NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX login_flows_expires_at_idx ON login_flows (expires_at);

-- +goose Down
DROP TABLE login_flows;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
ALTER TABLE sessions DROP COLUMN stage, DROP COLUMN method;
DROP INDEX users_oidc_idx;
ALTER TABLE users DROP COLUMN oidc_subject, DROP COLUMN oidc_issuer;
