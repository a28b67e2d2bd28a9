-- name: LeaderTryLock :one
-- LeaderTryLock takes the session-level advisory lock that makes this replica the one scheduler.
SELECT pg_try_advisory_lock(@key::bigint)::bool AS locked;

-- name: LeaderSessionWritable :one
-- LeaderSessionWritable tells whether the lock's session is on a server that takes writes: a
-- demoted primary (read-only, or a standby) holds a lock that guards nothing.
SELECT (NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off')::bool AS writable;

-- name: LeaderUnlock :one
SELECT pg_advisory_unlock(@key::bigint)::bool AS unlocked;
