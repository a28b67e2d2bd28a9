package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// durationRuns is how many of a job's latest completed runs its median and p95 durations cover.
const durationRuns = 1000

// jobHealth reads how a job has been doing, from its hourly counts, its latest completed runs and
// its alert state: each a bounded read, whatever the number of runs.
func jobHealth(ctx context.Context, q *sqlcgen.Queries, j sqlcgen.Job, now time.Time) (views.JobHealth, error) {
	h := views.JobHealth{AlertAfter: j.AlertAfter}
	hour := now.Truncate(time.Hour)
	sum, err := q.JobStatsSummary(ctx, sqlcgen.JobStatsSummaryParams{JobID: j.ID,
		DayStart: hour.Add(-23 * time.Hour), WeekStart: hour.Add(-(7*24 - 1) * time.Hour)})
	if err != nil {
		return h, fmt.Errorf("sum runs of job %d: %w", j.ID, err)
	}
	h.SuccessDay, h.SuccessWeek = successRate(sum.CompletedDay, sum.FailedDay), successRate(sum.CompletedWeek, sum.FailedWeek)
	d, err := q.JobDurations(ctx, sqlcgen.JobDurationsParams{JobID: j.ID, MaxRows: durationRuns})
	if err != nil {
		return h, fmt.Errorf("durations of job %d: %w", j.ID, err)
	}
	h.Median, h.P95, h.DurationRuns = "–", "–", d.Runs
	if d.Runs > 0 {
		h.Median = views.Duration(time.Duration(d.MedianMs * float64(time.Millisecond)))
		h.P95 = views.Duration(time.Duration(d.P95Ms * float64(time.Millisecond)))
	}
	if err := jobRetriesAndTrend(ctx, q, j.ID, &h); err != nil {
		return h, err
	}
	st, err := q.JobAlertStateGet(ctx, j.ID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("alert state of job %d: %w", j.ID, err)
	}
	h.Failing, h.ConsecutiveFailures = st.Failing, st.ConsecutiveFailures
	h.AlertRepeat, h.AlertFlapWindow, h.Held = ruleWords(j.AlertRepeatMs), ruleWords(j.AlertFlapWindowMs), st.Held // issue 22
	// alerts.on (issues 21, 22)
	h.AlertOn = alertOnWords(j.AlertOn)
	h.AlertChannels, err = channelNames(ctx, q, j.AlertChannels)
	return h, err
}

// jobRetriesAndTrend reads how often a job's last settled runs needed a retry, and its durations
// by day (issue 27), each over its last durationRuns runs.
func jobRetriesAndTrend(ctx context.Context, q *sqlcgen.Queries, jobID int64, h *views.JobHealth) error {
	r, err := q.JobRetryStats(ctx, sqlcgen.JobRetryStatsParams{JobID: jobID, MaxRows: durationRuns})
	if err != nil {
		return fmt.Errorf("retries of job %d: %w", jobID, err)
	}
	h.Retries = views.RetryShare{Runs: r.Runs, Completed: r.Completed, Retried: r.Retried, CompletedRetried: r.CompletedRetried}
	days, err := q.JobDurationTrend(ctx, sqlcgen.JobDurationTrendParams{JobID: jobID, MaxRows: durationRuns})
	if err != nil {
		return fmt.Errorf("duration trend of job %d: %w", jobID, err)
	}
	for _, d := range days {
		h.Trend = append(h.Trend, views.TrendDay{Day: d.Day, Runs: d.Runs,
			Median: time.Duration(d.MedianMs * float64(time.Millisecond)), P95: time.Duration(d.P95Ms * float64(time.Millisecond))})
	}
	return nil
}

// successRate says which share of settled runs completed, and of how many.
func successRate(completed, failed int64) string {
	total := completed + failed
	if total == 0 {
		return "no runs"
	}
	return fmt.Sprintf("%.1f%% of %s", float64(completed)*100/float64(total), views.Thousands(total))
}

// channelNames names the channels of a job's alerts.
func channelNames(ctx context.Context, q *sqlcgen.Queries, ids []int64) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	channels, err := q.ChannelList(ctx, store.MaxChannels)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	var names []string
	for _, c := range channels {
		if slices.Contains(ids, c.ID) {
			names = append(names, c.Name)
		}
	}
	return names, nil
}

// oldestFirst turns the newest-first statuses of a job's last runs into its strip's order
// (decorateJobRows then adds which of them needed a retry).
func oldestFirst(recent []runstatus.Status) []views.StripMark {
	out := make([]views.StripMark, len(recent))
	for i, s := range recent {
		out[len(recent)-1-i] = views.StripMark{Status: s}
	}
	return out
}
