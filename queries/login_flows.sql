-- name: LoginFlowInsert :exec
INSERT INTO login_flows (token_hash, kind, user_id, data, expires_at)
VALUES (@token_hash, @kind, sqlc.narg(user_id), @data, @expires_at);

-- name: LoginFlowTake :one
-- LoginFlowTake takes a live flow of a kind, once: a second take finds nothing.
DELETE FROM login_flows WHERE token_hash = @token_hash AND kind = @kind AND expires_at > now()
RETURNING *;

-- name: LoginFlowDeleteExpired :execrows
DELETE FROM login_flows WHERE expires_at <= now();
