-- name: AuditInsert :exec
-- AuditInsert records one change, in the transaction that makes it.
INSERT INTO audit_log (actor, action, subject, job_id, changes) VALUES (@actor, @action, @subject, @job_id, @changes);

-- name: AuditInsertMany :exec
-- AuditInsertMany records the changes of an import in one statement, in the import's transaction.
INSERT INTO audit_log (actor, action, subject, job_id, changes)
SELECT @actor, u.action, u.subject, u.job_id, u.changes
FROM (SELECT unnest(@actions::text[]) AS action, unnest(@subjects::text[]) AS subject,
             unnest(@job_ids::bigint[]) AS job_id, unnest(@changes::jsonb[]) AS changes) AS u;

-- name: AuditList :many
-- AuditList pages through the log newest first, below a keyset cursor.
SELECT * FROM audit_log
WHERE id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: AuditListOfJobs :many
-- AuditListOfJobs is AuditList with only the entries about jobs, for those who may not see the
-- changes to users and tokens.
SELECT * FROM audit_log
WHERE job_id IS NOT NULL AND id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: AuditListByJob :many
-- AuditListByJob is one job's history, newest first, below a keyset cursor.
SELECT * FROM audit_log
WHERE job_id = @job_id AND id < @before_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: AuditDeleteBefore :execrows
-- AuditDeleteBefore deletes a batch of entries older than a moment, oldest first; retention calls
-- it until it deletes less than a batch.
DELETE FROM audit_log
WHERE id IN (SELECT a.id FROM audit_log AS a WHERE a.at < @before::timestamptz ORDER BY a.at LIMIT @max_rows);

-- name: AuditSearchBefore :many
-- AuditSearchBefore is the audit log page, newest first below a keyset cursor, with its filters
-- (a NULL filter is no filter) and each entry's job name (empty for none or a deleted job). jobs_only
-- keeps the entries about jobs, for those who may not see the changes to users and tokens.
SELECT a.id, a.at, a.actor, a.action, a.subject, a.job_id, a.changes, COALESCE(j.name, '')::text AS job_name
FROM audit_log AS a LEFT JOIN jobs AS j ON j.id = a.job_id
WHERE a.id < @before_id
  AND (NOT @jobs_only::boolean OR a.job_id IS NOT NULL)
  AND (sqlc.narg(actor)::text IS NULL OR a.actor = sqlc.narg(actor)::text)
  AND (sqlc.narg(action)::text IS NULL OR a.action = sqlc.narg(action)::text)
  AND (sqlc.narg(job_id)::bigint IS NULL OR a.job_id = sqlc.narg(job_id)::bigint)
ORDER BY a.id DESC
LIMIT @max_rows;

-- name: AuditSearchAfter :many
-- AuditSearchAfter is AuditSearchBefore's page above a cursor, oldest first: the caller reverses it.
SELECT a.id, a.at, a.actor, a.action, a.subject, a.job_id, a.changes, COALESCE(j.name, '')::text AS job_name
FROM audit_log AS a LEFT JOIN jobs AS j ON j.id = a.job_id
WHERE a.id > @after_id
  AND (NOT @jobs_only::boolean OR a.job_id IS NOT NULL)
  AND (sqlc.narg(actor)::text IS NULL OR a.actor = sqlc.narg(actor)::text)
  AND (sqlc.narg(action)::text IS NULL OR a.action = sqlc.narg(action)::text)
  AND (sqlc.narg(job_id)::bigint IS NULL OR a.job_id = sqlc.narg(job_id)::bigint)
ORDER BY a.id
LIMIT @max_rows;
