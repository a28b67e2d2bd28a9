package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// What follows a run's settling besides its alerts (issue 21), in the transaction that records it:
// the run held back behind it by overlap "queue" is let go, the jobs that run after its job get
// their runs (after), and a job that failed pause_after_failures runs in a row pauses itself.

// RunPublisher publishes stored runs; the Outbox is one. A run it could not publish stays
// unpublished, and the reaper publishes it.
type RunPublisher interface {
	Publish(ctx context.Context, msgs []runmsg.Message)
}

// followUp makes what the settled runs call for, through q (the recording transaction): it finds
// the runs that waited for them and makes the runs of the jobs that run after them. It returns the
// runs to publish once the transaction has committed.
func (a *Alerter) followUp(ctx context.Context, q *sqlcgen.Queries, runs []Settled) ([]runmsg.Message, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	var after sqlcgen.RunInsertAfterParams
	var jobs []int64
	for _, s := range runs {
		after.JobIds, after.RunIds = append(after.JobIds, s.JobID), append(after.RunIds, s.RunID)
		after.Statuses = append(after.Statuses, string(s.Status))
		if !slices.Contains(jobs, s.JobID) {
			jobs = append(jobs, s.JobID)
		}
	}
	var msgs []runmsg.Message
	waiting, err := q.RunWaitingReleasable(ctx, jobs)
	if err != nil {
		return nil, fmt.Errorf("find runs waiting for %d jobs: %w", len(jobs), err)
	}
	for _, w := range waiting {
		msgs = append(msgs, runmsg.Message{RunID: w.ID, JobID: w.JobID})
	}
	made, err := q.RunInsertAfter(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("make the runs after %d runs: %w", len(runs), err)
	}
	for _, m := range made {
		msgs = append(msgs, runmsg.Message{RunID: m.ID, JobID: m.JobID})
	}
	return msgs, nil
}

// pauseReason is what a job that paused itself says on its page and in the API.
func pauseReason(failures int32) string {
	return fmt.Sprintf("paused by Cronflow after %d runs in a row failed for good (pause_after_failures)", failures)
}

// pauseJob pauses a job that has now failed for good failures runs in a row, writes the audit
// entry (actor "cronflow") and, if its alerts ask for it, makes a job.paused notice per channel.
func (a *Alerter) pauseJob(ctx context.Context, q *sqlcgen.Queries, s Settled, st alertState, row sqlcgen.JobAlertStateLockRow) ([]int64, error) {
	reason := pauseReason(st.failures)
	job, err := q.JobPauseAfterFailures(ctx, sqlcgen.JobPauseAfterFailuresParams{ID: s.JobID, Reason: reason})
	if errors.Is(err, pgx.ErrNoRows) { // already paused, or no longer set to pause
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pause job %d: %w", s.JobID, err)
	}
	changes, _ := json.Marshal(map[string]map[string]any{
		"paused":        {"from": false, "to": true},
		"paused_reason": {"from": "", "to": reason},
	})
	if err := q.AuditInsert(ctx, sqlcgen.AuditInsertParams{Actor: "cronflow", Action: "job.pause", Subject: job.Name,
		JobID: &job.ID, Changes: changes}); err != nil {
		return nil, fmt.Errorf("audit the pause of job %d: %w", s.JobID, err)
	}
	a.logger.Warn("Job paused after failures", "job_id", s.JobID, "consecutive_failures", st.failures)
	if row.Channels == 0 || !alertsOn(row.AlertOn, notify.Paused) {
		return nil, nil
	}
	return a.makeNotices(ctx, q, s, notice{event: notify.Paused, state: st, failures: st.failures, at: a.clock()})
}

// alertsOn reports whether a job's alerts.on names the kind of event ("failing" for job.failing).
func alertsOn(on []string, event string) bool {
	return slices.Contains(on, strings.TrimPrefix(event, "job."))
}

// noticeSkipped makes a job.skipped notice per channel for each skipped run whose job's alerts ask
// for them, and publishes them. Each skipped run is its own episode, so none is made twice. A
// notice that could not be made is logged: the run is skipped either way.
func (a *Alerter) noticeSkipped(ctx context.Context, runs []sqlcgen.RunOverlapDecideRow) {
	var ids []int64
	for _, r := range runs {
		details, _ := json.Marshal(notify.Event{Event: notify.Skipped, Job: &notify.EventJob{ID: r.JobID},
			Run: &notify.EventRun{ID: r.ID, Status: string(runstatus.Skipped), Error: r.Error, ScheduledAt: r.ScheduledAt},
			At:  time.Now().UTC()})
		made, err := a.q.NoticeInsertSkipped(ctx, sqlcgen.NoticeInsertSkippedParams{JobID: r.JobID, RunID: r.ID, Details: details})
		if err != nil {
			a.logger.Warn("Make skipped notices failed", "run_id", r.ID, "job_id", r.JobID, "error", err)
			continue
		}
		ids = append(ids, made...)
	}
	if len(ids) > 0 {
		a.pub.PublishNotices(ctx, ids)
	}
}
