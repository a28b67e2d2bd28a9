-- name: LeaderTryLock :one
-- LeaderTryLock takes the session-level advisory lock that makes this replica the one scheduler.
SELECT pg_try_advisory_lock(@key::bigint)::bool AS locked;

-- name: SessionWritable :one
-- SessionWritable tells whether the session is on a server that takes writes: on a demoted primary
-- (read-only, or a standby) the leader's lock guards nothing, and a listener hears no job changes.
SELECT (NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off')::bool AS writable;

-- name: LeaderUnlock :one
SELECT pg_advisory_unlock(@key::bigint)::bool AS unlocked;
