-- run_counts is kept by triggers on runs (migration 00019); these queries read and fold it.

-- name: RunCountByStatus :many
-- RunCountByStatus is the number of runs in each status that has any, for /api/stats and the home
-- page. It adds up a few rows per status (see RunCountFold) instead of counting every run.
SELECT status, sum(runs)::bigint AS runs FROM run_counts
GROUP BY status
HAVING sum(runs) <> 0;

-- name: RunCountFold :exec
-- RunCountFold replaces each status's rows by their sum, in one statement, so that reading the
-- totals stays a few rows however many statements changed runs. A statement running at the same
-- time only appends rows, which the next fold takes; two folds at once take each row once.
WITH taken AS (
    DELETE FROM run_counts RETURNING status, runs
)
INSERT INTO run_counts (status, runs)
SELECT status, sum(runs) FROM taken
GROUP BY status
HAVING sum(runs) <> 0;
