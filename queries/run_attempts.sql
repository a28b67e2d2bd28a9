-- run_attempts is written by the statements that record a result (RunComplete, RunFail,
-- RunFailPermanently in runs.sql).

-- name: RunAttemptList :many
-- RunAttemptList is every attempt of a run, oldest first.
SELECT attempt, started_at, finished_at, outcome, error, output
FROM run_attempts
WHERE run_id = @run_id
ORDER BY attempt;
