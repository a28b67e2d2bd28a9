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
