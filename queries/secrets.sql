-- name: SecretInsert :one
-- SecretInsert stores a new secret; no row back means one of that name exists.
INSERT INTO secrets (name, key_id, sealed) VALUES (@name, @key_id, @sealed)
ON CONFLICT (name) DO NOTHING
RETURNING id, name, created_at, updated_at;

-- name: SecretUpdate :one
UPDATE secrets SET key_id = @key_id, sealed = @sealed, updated_at = clock_timestamp()
WHERE name = @name
RETURNING id, name, created_at, updated_at;

-- name: SecretList :many
-- SecretList is every secret's name and dates, never its value, with how many jobs use it.
SELECT s.id, s.name, s.created_at, s.updated_at,
    (SELECT count(*) FROM jobs AS j WHERE j.secret_refs @> ARRAY[s.name]) AS jobs
FROM secrets AS s
ORDER BY s.name
LIMIT 1000;

-- name: SecretNames :many
-- SecretNames lists the secrets' names, for the job form to offer.
SELECT name FROM secrets ORDER BY name LIMIT 1000;

-- name: SecretNamesIn :many
-- SecretNamesIn returns which of the names are secrets, to check a job's references.
SELECT name FROM secrets WHERE name = ANY(@names::text[]) ORDER BY name;

-- name: SecretGetMany :many
-- SecretGetMany reads the sealed values a run needs.
SELECT name, key_id, sealed FROM secrets WHERE name = ANY(@names::text[]);

-- name: SecretJobsUsing :many
-- SecretJobsUsing lists the jobs whose payload names the secret.
SELECT id, name FROM jobs WHERE secret_refs @> ARRAY[@name::text] ORDER BY id LIMIT 50;

-- name: SecretDelete :execrows
-- SecretDelete deletes a secret that no job uses.
DELETE FROM secrets AS s
WHERE s.name = @name AND NOT EXISTS (SELECT 1 FROM jobs AS j WHERE j.secret_refs @> ARRAY[s.name]);

-- name: SecretListSealedWithout :many
-- SecretListSealedWithout finds the secrets sealed with another key than the current one.
SELECT id, name, key_id, sealed FROM secrets WHERE key_id <> @key_id ORDER BY id;

-- name: SecretReseal :execrows
-- SecretReseal stores a value sealed again with the new key, unless someone did already.
UPDATE secrets SET key_id = @new_key_id, sealed = @sealed
WHERE id = @id AND key_id = @old_key_id;
