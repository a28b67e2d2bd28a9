// Package worker runs the run lifecycle: the leader election, the scheduler that turns cron
// firings into due slots, the dispatcher that stores and publishes runs, the reaper that publishes
// what was lost, and the consumers whose runner executes, retries and records every run.
package worker
