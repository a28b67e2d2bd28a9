-- name: UserInsert :one
INSERT INTO users (username, password_hash, role) VALUES (@username, @password_hash, @role) RETURNING *;

-- name: UserGetByName :one
SELECT * FROM users WHERE username = @username;

-- name: UserGet :one
SELECT * FROM users WHERE id = @id;

-- name: UserList :many
-- UserList lists the users by name, for the users page and GET /api/users.
SELECT id, username, role, disabled_at, created_at, updated_at, last_login_at FROM users
ORDER BY username
LIMIT 1000;

-- name: UserSetPassword :exec
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;

-- name: UserUpdate :one
-- UserUpdate sets a user's role and whether they are disabled; a user disabled before keeps the
-- time it happened.
UPDATE users
SET role = @role,
    disabled_at = CASE WHEN @disabled::boolean THEN COALESCE(disabled_at, now()) END,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: UserDelete :execrows
DELETE FROM users WHERE id = @id;

-- name: UserGetByOIDC :one
-- UserGetByOIDC finds the user an OpenID provider's subject signed in as before.
SELECT * FROM users WHERE oidc_issuer = @issuer AND oidc_subject = @subject;

-- name: UserInsertOIDC :one
-- UserInsertOIDC creates the user of an OpenID provider's subject, without a password.
INSERT INTO users (username, password_hash, role, oidc_issuer, oidc_subject)
VALUES (@username, '', @role, @issuer, @subject)
RETURNING *;

-- name: UserSetLastLogin :exec
-- UserSetLastLogin notes that a user has just finished signing in, by whichever way.
UPDATE users SET last_login_at = clock_timestamp() WHERE username = @username;
