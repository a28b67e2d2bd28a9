-- name: ChannelInsert :one
INSERT INTO channels (name, type, config, is_default)
VALUES (@name, @type, @config, @is_default)
RETURNING *;

-- name: ChannelGet :one
SELECT * FROM channels WHERE id = @id;

-- name: ChannelGetForUpdate :one
-- ChannelGetForUpdate reads a channel to change it, locked until the change's transaction ends.
SELECT * FROM channels WHERE id = @id FOR UPDATE;

-- name: ChannelList :many
-- ChannelList is every channel by name. Channels are a handful, not thousands; max_rows bounds it.
SELECT * FROM channels ORDER BY lower(name), id LIMIT @max_rows;

-- name: ChannelListIDs :many
-- ChannelListIDs returns those of the ids that name a channel, to check a job's alerts.
SELECT id FROM channels WHERE id = ANY(@ids::bigint[]) ORDER BY id;

-- name: ChannelListDefaultIDs :many
-- ChannelListDefaultIDs are the channels marked default, which a new job alerts unless it names
-- its own (as JobInsert does).
SELECT id FROM channels WHERE is_default ORDER BY id;

-- name: ChannelUpdate :one
UPDATE channels
SET name = @name, type = @type, config = @config, is_default = @is_default, updated_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: ChannelDelete :execrows
-- ChannelDelete deletes a channel and takes it out of every job's alerts, in one statement. Its
-- notices go with it.
WITH unlinked AS (
    UPDATE jobs SET alert_channels = array_remove(alert_channels, @id::bigint)
    WHERE alert_channels @> ARRAY[@id::bigint]
)
DELETE FROM channels WHERE id = @id::bigint;

-- name: ChannelRotateSigningSecret :one
-- ChannelRotateSigningSecret gives a channel a new signing secret; the one it replaces stays valid,
-- its signature sent beside the new one's, for overlap_ms.
UPDATE channels
SET previous_signing_secret = signing_secret,
    previous_secret_until = clock_timestamp() + (@overlap_ms::bigint) * interval '1 millisecond',
    signing_secret = @signing_secret, updated_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: ChannelSetSigningSecret :one
-- ChannelSetSigningSecret gives a new channel a signing secret made, and sealed, in Go, in place of
-- the plain one the column's default made.
UPDATE channels SET signing_secret = @signing_secret WHERE id = @id
RETURNING *;

-- name: ChannelListSigningSecretsToSeal :many
-- ChannelListSigningSecretsToSeal lists the channels with a signing secret that does not begin with
-- prefix, the current key's: plain ones, and ones sealed with the previous key.
SELECT id, signing_secret, previous_signing_secret FROM channels
WHERE starts_with(signing_secret, @prefix::text) IS FALSE
   OR starts_with(previous_signing_secret, @prefix::text) IS FALSE
ORDER BY id;

-- name: ChannelSealSigningSecrets :execrows
-- ChannelSealSigningSecrets replaces a channel's signing secrets with their sealed versions, if
-- they are still the ones that were read: a rotation in between wins.
UPDATE channels
SET signing_secret = @new_secret, previous_signing_secret = sqlc.narg(new_previous)::text
WHERE id = @id AND signing_secret = @old_secret
  AND previous_signing_secret IS NOT DISTINCT FROM sqlc.narg(old_previous)::text;

-- name: ChannelNamesByIDs :many
-- ChannelNamesByIDs names the channels among ids, for the audit log's changes (one query a page).
SELECT id, name FROM channels WHERE id = ANY(@ids::bigint[]);
