-- +goose Up
-- Issues 21 and 22: a job's alerts may be told of the slots the catch-up records as missed
-- (job.missed, one notice per missed run and channel, when its alerts.on names "missed").
ALTER TABLE notices DROP CONSTRAINT IF EXISTS notices_event_check;
ALTER TABLE notices ADD CONSTRAINT notices_event_check
    CHECK (event IN ('job.failing', 'job.recovered', 'channel.test', 'job.skipped', 'job.paused', 'job.missed')
           OR event ~ '^job\.failing\.reminder\.[1-9][0-9]*$') NOT VALID;
ALTER TABLE notices VALIDATE CONSTRAINT notices_event_check;

-- +goose Down
DELETE FROM notices WHERE event = 'job.missed';
UPDATE jobs SET alert_on = array_remove(alert_on, 'missed') WHERE 'missed' = ANY(alert_on);
ALTER TABLE notices DROP CONSTRAINT notices_event_check;
ALTER TABLE notices ADD CONSTRAINT notices_event_check
    CHECK (event IN ('job.failing', 'job.recovered', 'channel.test', 'job.skipped', 'job.paused')
           OR event ~ '^job\.failing\.reminder\.[1-9][0-9]*$');
