-- name: UserInsert :one
INSERT INTO users (username, password_hash) VALUES (@username, @password_hash) RETURNING *;

-- name: UserGetByName :one
SELECT * FROM users WHERE username = @username;

-- name: UserSetPassword :exec
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;
