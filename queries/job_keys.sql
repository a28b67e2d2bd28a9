-- job_keys is kept by triggers on jobs (migration 00019); these queries finish deleted jobs.

-- name: JobKeyListDeleted :many
-- JobKeyListDeleted is the deleted jobs whose runs are not all deleted yet, longest deleted first.
SELECT id FROM job_keys
WHERE deleted_at IS NOT NULL
ORDER BY deleted_at, id
LIMIT @max_rows;

-- name: JobKeyPurgeRuns :execrows
-- JobKeyPurgeRuns deletes one batch of a deleted job's runs, with their attempts and notices. Each
-- batch is its own short statement; a row someone else holds is left to the next batch.
DELETE FROM runs
WHERE id IN (SELECT r.id FROM runs AS r
             JOIN job_keys AS k ON k.id = r.job_id AND k.deleted_at IS NOT NULL
             WHERE r.job_id = @job_id
             ORDER BY r.id
             LIMIT @max_rows
             FOR UPDATE OF r SKIP LOCKED);

-- name: JobKeyDelete :execrows
-- JobKeyDelete forgets a deleted job once its runs are deleted. A run made or held meanwhile goes
-- with it (the runs' key cascades), so that none is left behind.
DELETE FROM job_keys WHERE id = @id AND deleted_at IS NOT NULL;
