-- name: SessionInsert :exec
INSERT INTO sessions (token_hash, user_id, expires_at, client_ip, user_agent, method, stage)
VALUES (@token_hash, @user_id, @expires_at, @client_ip, @user_agent, @method, @stage);

-- name: SessionGet :one
-- SessionGet finds the enabled user of a session that has neither expired nor gone unused since
-- idle_since.
SELECT s.id AS session_id, s.last_seen_at, s.stage, s.method, u.id, u.username, u.role
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = @token_hash AND s.expires_at > now() AND s.last_seen_at > @idle_since
  AND u.disabled_at IS NULL;

-- name: SessionTouch :exec
-- SessionTouch notes that a session was used, and from where.
UPDATE sessions SET last_seen_at = now(), client_ip = @client_ip WHERE id = @id;

-- name: SessionListByUser :many
-- SessionListByUser lists a page of a user's live sessions: the current one first, then the most
-- recently used. Sessions come and go while one reads, so pages are counted, not keyed.
SELECT id, created_at, last_seen_at, expires_at, client_ip, user_agent, method FROM sessions
WHERE user_id = @user_id AND expires_at > now() AND last_seen_at > @idle_since
ORDER BY (id = @current_id) DESC, last_seen_at DESC, id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: SessionCountByUser :one
-- SessionCountByUser counts a user's live sessions, for the sessions list's pager.
SELECT count(*) FROM sessions
WHERE user_id = @user_id AND expires_at > now() AND last_seen_at > @idle_since;

-- name: SessionDelete :exec
DELETE FROM sessions WHERE token_hash = @token_hash;

-- name: SessionDeleteOne :execrows
-- SessionDeleteOne ends one of a user's sessions; another user's session is not found.
DELETE FROM sessions WHERE id = @id AND user_id = @user_id;

-- name: SessionDeleteForUser :execrows
-- SessionDeleteForUser ends every session of a user but keep_id (0 keeps none): after a password
-- change, or when the user signs out everywhere.
DELETE FROM sessions WHERE user_id = @user_id AND id <> @keep_id;

-- name: SessionDeleteExpired :execrows
DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= @idle_since;

-- name: SessionPass :execrows
-- SessionPass lets a session that waited for a second factor (or its enrolment) through, noting the
-- factor in how it signed in.
UPDATE sessions SET stage = 'done', method = @method WHERE id = @id AND stage <> 'done';
