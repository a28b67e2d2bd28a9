-- +goose Up
-- Issue 27: each attempt keeps what it sent and what came back, so that a run can be debugged from
-- its page. exchange is the attempt's request (method, URL, headers, body), response (status,
-- headers, body), timings (DNS, connect, TLS, first byte, total) or, for an email, the server and
-- envelope: bodies capped at 16 KiB and the job's secrets masked by the worker before they reach
-- it (worker/task/exchange.go). NULL for attempts recorded before, and for tasks with nothing to
-- show.
ALTER TABLE run_attempts ADD COLUMN exchange jsonb;

-- +goose Down
ALTER TABLE run_attempts DROP COLUMN exchange;
