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

-- A reminder is a failing notice of the same episode with its number: the notices' key takes it,
-- so that each reminder is made once per channel and the first failing notice (0) stays unique.
ALTER TABLE notices ADD COLUMN reminder integer NOT NULL DEFAULT 0;
DROP INDEX notices_once_idx;
CREATE UNIQUE INDEX notices_once_idx ON notices (channel_id, job_id, episode, event, reminder) WHERE event <> 'channel.test';

-- +goose Down
DELETE FROM notices WHERE reminder > 0;
DROP INDEX notices_once_idx;
CREATE UNIQUE INDEX notices_once_idx ON notices (channel_id, job_id, episode, event) WHERE event <> 'channel.test';
ALTER TABLE notices DROP COLUMN reminder;
ALTER TABLE job_alert_state
    DROP COLUMN held,
    DROP COLUMN reminders,
    DROP COLUMN last_recovered_at,
    DROP COLUMN last_notice_at;
ALTER TABLE jobs DROP COLUMN alert_flap_window_ms, DROP COLUMN alert_repeat_ms;
