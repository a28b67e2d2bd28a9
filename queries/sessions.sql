-- name: SessionInsert :exec
INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (@token_hash, @user_id, @expires_at);

-- name: SessionGet :one
-- SessionGet finds the user of a session that has not expired.
SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = @token_hash AND s.expires_at > now();

-- name: SessionDelete :exec
DELETE FROM sessions WHERE token_hash = @token_hash;

-- name: SessionDeleteExpired :execrows
DELETE FROM sessions WHERE expires_at <= now();
