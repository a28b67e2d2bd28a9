-- name: LeaderTryLock :one
-- LeaderTryLock takes the session-level advisory lock that makes this replica the one scheduler.
SELECT pg_try_advisory_lock(@key::bigint)::bool AS locked;

-- name: LeaderUnlock :one
SELECT pg_advisory_unlock(@key::bigint)::bool AS unlocked;
