-- name: TOTPGet :one
SELECT * FROM user_totp WHERE user_id = @user_id;

-- name: TOTPStart :one
-- TOTPStart stores a new, unconfirmed secret for a user who has no confirmed one; no row back
-- means they have one already.
INSERT INTO user_totp (user_id, secret) VALUES (@user_id, @secret)
ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, created_at = now()
    WHERE user_totp.confirmed_at IS NULL
RETURNING *;

-- name: TOTPConfirm :execrows
UPDATE user_totp SET confirmed_at = now(), last_step = @step
WHERE user_id = @user_id AND confirmed_at IS NULL AND last_step < @step;

-- name: TOTPUseStep :execrows
-- TOTPUseStep takes a time step's code as used; no row means it, or a later one, was used before.
UPDATE user_totp SET last_step = @step WHERE user_id = @user_id AND last_step < @step;

-- name: TOTPDelete :execrows
DELETE FROM user_totp WHERE user_id = @user_id;

-- name: RecoveryCodeInsert :exec
INSERT INTO recovery_codes (user_id, code_hash) VALUES (@user_id, @code_hash);

-- name: RecoveryCodeUse :execrows
-- RecoveryCodeUse spends a recovery code; no row means it is wrong or spent.
UPDATE recovery_codes SET used_at = now() WHERE user_id = @user_id AND code_hash = @code_hash AND used_at IS NULL;

-- name: RecoveryCodeDeleteForUser :exec
DELETE FROM recovery_codes WHERE user_id = @user_id;

-- name: RecoveryCodeCountUnused :one
SELECT count(*) FROM recovery_codes WHERE user_id = @user_id AND used_at IS NULL;

-- name: PasskeyInsert :one
INSERT INTO passkeys (user_id, name, credential_id, credential) VALUES (@user_id, @name, @credential_id, @credential)
RETURNING id;

-- name: PasskeyListByUser :many
SELECT * FROM passkeys WHERE user_id = @user_id ORDER BY id LIMIT 100;

-- name: PasskeyUse :exec
-- PasskeyUse stores a passkey's state after a sign-in (its signature counter) and when it happened.
UPDATE passkeys SET credential = @credential, last_used_at = now() WHERE id = @id;

-- name: PasskeyDelete :one
DELETE FROM passkeys WHERE id = @id AND user_id = @user_id RETURNING name;

-- name: PasskeyDeleteForUser :exec
DELETE FROM passkeys WHERE user_id = @user_id;

-- name: UserFactors :one
-- UserFactors says which second factors a user has: a confirmed TOTP secret, how many passkeys.
SELECT EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = @user_id AND t.confirmed_at IS NOT NULL) AS totp,
       (SELECT count(*) FROM passkeys p WHERE p.user_id = @user_id) AS passkeys;

-- name: PasskeyGetByCredentialID :one
-- PasskeyGetByCredentialID finds the passkey a passwordless sign-in's authenticator names.
SELECT * FROM passkeys WHERE credential_id = @credential_id;
