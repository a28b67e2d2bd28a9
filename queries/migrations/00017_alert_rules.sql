-- +goose Up
-- Issue 22, rules that cut noise. A job's alerts may remind its channels while it keeps failing
-- (alert_repeat_ms, 0: never) and damp flapping (alert_flap_window_ms, 0: no damping): after a
-- recovered notice, no failing notice goes out before the window has passed.
ALTER TABLE jobs
    ADD COLUMN alert_repeat_ms      bigint NOT NULL DEFAULT 0 CHECK (alert_repeat_ms >= 0),
    ADD COLUMN alert_flap_window_ms bigint NOT NULL DEFAULT 0 CHECK (alert_flap_window_ms >= 0);

-- last_notice_at is when the job's last failing notice or reminder was made, reminders how many
-- reminders its episode has had, last_recovered_at when its last recovered notice was made, and
-- held whether it has reached its threshold but its failing notice is held back by the flap window.
ALTER TABLE job_alert_state
    ADD COLUMN last_notice_at    timestamptz,
    ADD COLUMN last_recovered_at timestamptz,
    ADD COLUMN reminders         integer NOT NULL DEFAULT 0,
    ADD COLUMN held              boolean NOT NULL DEFAULT false;

-- A reminder is a failing notice of the same episode with its number. Its event is
-- job.failing.reminder.N, so that the notices' key (channel, job, episode, event) makes each
-- reminder once per channel and stays what the previous release's queries name in ON CONFLICT:
-- a replica of that release, still running during an upgrade, keeps making its notices.
ALTER TABLE notices ADD COLUMN reminder integer NOT NULL DEFAULT 0;
ALTER TABLE notices DROP CONSTRAINT notices_event_check;
ALTER TABLE notices ADD CONSTRAINT notices_event_check
    CHECK (event IN ('job.failing', 'job.recovered', 'channel.test', 'job.skipped', 'job.paused')
           OR event ~ '^job\.failing\.reminder\.[1-9][0-9]*$');

-- +goose Down
DELETE FROM notices WHERE reminder > 0;
ALTER TABLE notices DROP CONSTRAINT notices_event_check;
ALTER TABLE notices ADD CONSTRAINT notices_event_check
    CHECK (event IN ('job.failing', 'job.recovered', 'channel.test', 'job.skipped', 'job.paused'));
ALTER TABLE notices DROP COLUMN reminder;
ALTER TABLE job_alert_state
    DROP COLUMN held,
    DROP COLUMN reminders,
    DROP COLUMN last_recovered_at,
    DROP COLUMN last_notice_at;
ALTER TABLE jobs DROP COLUMN alert_flap_window_ms, DROP COLUMN alert_repeat_ms;
