-- run_attempts is written by the statements that record a result (RunComplete, RunFail,
-- RunFailPermanently in runs.sql).

-- name: RunAttemptList :many
-- RunAttemptList is every attempt of a run, oldest first, with what it sent and got back
-- (exchange, NULL when nothing was kept).
SELECT attempt, started_at, finished_at, outcome, error, output, exchange
FROM run_attempts
WHERE run_id = @run_id
ORDER BY attempt;
