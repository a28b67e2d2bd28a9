-- +goose Up
-- A slot that is not run is recorded as a run with status 'missed' and the reason in its error: no
-- scheduler was running, or the database was out of reach for longer than the leader could wait,
-- and the job's catch-up policy left the slot out. So no slot is skipped in silence. NOT VALID,
-- then VALIDATE: the check is proved against existing runs without blocking writes meanwhile.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed', 'missed')) NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_status_check;

-- What the scheduler does with a job's slots that passed without a run: 'latest' runs the most
-- recent one if it is younger than CATCHUP_WINDOW (what Cronflow always did), 'all' every one
-- inside the window (at most 100, oldest first), 'none' none. The rest are recorded as missed.
ALTER TABLE jobs ADD COLUMN catchup text NOT NULL DEFAULT 'latest'
    CHECK (catchup IN ('latest', 'all', 'none'));

-- +goose Down
ALTER TABLE jobs DROP COLUMN catchup;
DELETE FROM runs WHERE status = 'missed';
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'permanently_failed'));
