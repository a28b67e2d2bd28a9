-- name: APITokenInsert :one
INSERT INTO api_tokens (name, token_hash, hint, user_id, role, expires_at)
VALUES (@name, @token_hash, @hint, @user_id, @role, sqlc.narg('expires_at'))
RETURNING *;

-- name: APITokenList :many
-- APITokenList lists the tokens, the ones in use first.
SELECT t.id, t.name, t.hint, t.role, t.created_at, t.last_used_at, t.revoked_at, t.expires_at, u.username
FROM api_tokens t JOIN users u ON u.id = t.user_id
ORDER BY t.revoked_at IS NOT NULL, t.id DESC
LIMIT 500;

-- name: APITokenAuthenticate :one
-- APITokenAuthenticate finds the enabled user of a token that has not been revoked nor expired,
-- with both their roles, and notes its use.
UPDATE api_tokens t SET last_used_at = now()
FROM users u
WHERE t.token_hash = @token_hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
  AND u.id = t.user_id AND u.disabled_at IS NULL
RETURNING u.id, u.username, u.role AS user_role, t.role AS token_role, t.name AS token_name;

-- name: APITokenRevoke :many
-- APITokenRevoke revokes a token in use, answering its name; none if there was none to revoke.
UPDATE api_tokens SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL RETURNING name;

-- name: APITokenRevokeForUser :many
-- APITokenRevokeForUser revokes every token in use of a user, whose password was reset, answering
-- their names.
UPDATE api_tokens SET revoked_at = now() WHERE user_id = @user_id AND revoked_at IS NULL RETURNING name;
