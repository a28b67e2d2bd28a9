package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

// importBatch is how many jobs one insert or update statement of an import carries.
const importBatch = 1000

// applyImport stores the planned jobs in batches and answers the audit entry of each change. The
// jobs trigger is kept quiet and the scheduler is told once instead, at commit.
func applyImport(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob) ([]Entry, error) {
	if err := q.JobQuietNotifications(ctx); err != nil {
		return nil, fmt.Errorf("quiet job notifications: %w", err)
	}
	var creates, updates []*ImportedJob
	for i := range jobs {
		switch jobs[i].Action {
		case "create":
			creates = append(creates, &jobs[i])
		case "update":
			updates = append(updates, &jobs[i])
		}
	}
	for batch := range slices.Chunk(creates, importBatch) {
		ids, err := q.JobInsertMany(ctx, insertManyParams(batch))
		if err != nil {
			return nil, fmt.Errorf("insert imported jobs: %w", err)
		}
		slices.Sort(ids)
		for k, j := range batch {
			j.job.ID = ids[k]
			j.Changes = JobChanges(nil, &j.job)
		}
	}
	for batch := range slices.Chunk(updates, importBatch) {
		p := insertManyParams(batch)
		ids := make([]int64, len(batch))
		for k, j := range batch {
			ids[k] = j.job.ID
		}
		err := q.JobUpdateMany(ctx, sqlcgen.JobUpdateManyParams{
			Ids: ids, Names: p.Names, Types: p.Types, Payloads: p.Payloads, Crons: p.Crons,
			Timezones: p.Timezones, MaxRetries: p.MaxRetries, RetryDelayMs: p.RetryDelayMs, TimeoutMs: p.TimeoutMs,
			Catchups: p.Catchups, Paused: p.Paused, NextRunAts: p.NextRunAts, AlertChannels: p.AlertChannels,
			AlertAfters: p.AlertAfters, RetryOns: p.RetryOns, RetryBackoffs: p.RetryBackoffs,
			SigningSecrets: p.SigningSecrets, SecretRefs: p.SecretRefs,
			// issue 21, jitter and windows
			JitterMs: p.JitterMs, StartAts: p.StartAts, EndAts: p.EndAts, Blackouts: p.Blackouts,
			// overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
			OverlapPolicies: p.OverlapPolicies, AfterJobIds: p.AfterJobIds, AfterOns: p.AfterOns, Params: p.Params,
			PauseAfterFailures: p.PauseAfterFailures, AlertOns: p.AlertOns,
			AlertRepeatMs: p.AlertRepeatMs, AlertFlapWindowMs: p.AlertFlapWindowMs, // alert rules (issue 22)
			Tags: p.Tags, Descriptions: p.Descriptions, // issue 27
		})
		if err != nil {
			return nil, fmt.Errorf("update imported jobs: %w", err)
		}
	}
	if err := fixImportedNextRuns(ctx, q, append(creates, updates...)); err != nil {
		return nil, err
	}
	if err := q.JobNotifyAll(ctx); err != nil {
		return nil, fmt.Errorf("notify schedulers: %w", err)
	}
	var entries []Entry
	for _, j := range append(creates, updates...) {
		entries = append(entries, Entry{Action: "job." + j.Action, Subject: j.job.Name, JobID: &j.job.ID, Changes: j.Changes})
	}
	return entries, nil
}

// insertManyParams turns a batch of planned jobs into the columns of one insert statement.
func insertManyParams(batch []*ImportedJob) sqlcgen.JobInsertManyParams {
	var p sqlcgen.JobInsertManyParams
	for k, j := range batch {
		p.Names = append(p.Names, j.job.Name)
		p.Types = append(p.Types, j.job.Type)
		p.Payloads = append(p.Payloads, j.job.Payload)
		p.Crons = append(p.Crons, j.job.Cron)
		p.Timezones = append(p.Timezones, j.job.Timezone)
		p.MaxRetries = append(p.MaxRetries, j.job.MaxRetries)
		p.RetryDelayMs = append(p.RetryDelayMs, j.job.RetryDelayMs)
		p.TimeoutMs = append(p.TimeoutMs, j.job.TimeoutMs)
		p.Catchups = append(p.Catchups, string(j.job.Catchup))
		p.Paused = append(p.Paused, j.job.Paused)
		var next time.Time // the zero time stores none: a job with no cron
		if j.job.NextRunAt != nil {
			next = *j.job.NextRunAt
		}
		p.NextRunAts = append(p.NextRunAts, next)
		p.AlertChannels = append(p.AlertChannels, alertChannelsLiteral(j.job.AlertChannels))
		p.AlertAfters = append(p.AlertAfters, j.job.AlertAfter)
		p.RetryOns = append(p.RetryOns, j.job.RetryOn)
		p.RetryBackoffs = append(p.RetryBackoffs, j.job.RetryBackoff)
		signing := "" // none: the query stores NULL
		if j.job.SigningSecret != nil {
			signing = *j.job.SigningSecret
		}
		p.SigningSecrets = append(p.SigningSecrets, signing)
		p.SecretRefs = append(p.SecretRefs, strings.Join(j.job.SecretRefs, ","))
		// issue 21, jitter and windows
		p.JitterMs = append(p.JitterMs, j.job.JitterMs)
		p.StartAts = append(p.StartAts, timeText(j.job.StartAt))
		p.EndAts = append(p.EndAts, timeText(j.job.EndAt))
		p.Blackouts = append(p.Blackouts, string(j.job.Blackouts))
		// alert rules (issue 22)
		p.AlertRepeatMs = append(p.AlertRepeatMs, j.job.AlertRepeatMs)
		p.AlertFlapWindowMs = append(p.AlertFlapWindowMs, j.job.AlertFlapWindowMs)
		p.Tags = append(p.Tags, tagsLiteral(j.job.Tags)) // issue 27
		p.Descriptions = append(p.Descriptions, j.job.Description)
		p.Ordinals = append(p.Ordinals, int32(k))
		chainManyParams(&p, j.job)
	}
	return p
}

// timeText is a time for a text column of an import statement, "" for none.
func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// fixImportedNextRuns sets the next run of each imported job whose H tokens or jitter, chosen from
// its id, move it (see fixNextRun): few jobs have them, so one at a time.
func fixImportedNextRuns(ctx context.Context, q *sqlcgen.Queries, jobs []*ImportedJob) error {
	for _, j := range jobs {
		if j.job.JitterMs == 0 && !schedule.HasH(j.job.Cron) {
			continue
		}
		if _, err := fixNextRun(ctx, q, j.job, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// chainManyParams adds a job's issue 21 fields (sched-b) to the columns of an import statement.
func chainManyParams(p *sqlcgen.JobInsertManyParams, j sqlcgen.Job) {
	var after int64 // 0 stores none
	if j.AfterJobID != nil {
		after = *j.AfterJobID
	}
	on := j.AlertOn
	if on == nil {
		on = []string{"failing", "recovered"}
	}
	params := j.Params
	if len(params) == 0 {
		params = []byte("{}")
	}
	p.OverlapPolicies = append(p.OverlapPolicies, cmp.Or(j.Overlap, "allow"))
	p.AfterJobIds = append(p.AfterJobIds, after)
	p.AfterOns = append(p.AfterOns, cmp.Or(j.AfterOn, "success"))
	p.Params = append(p.Params, params)
	p.PauseAfterFailures = append(p.PauseAfterFailures, j.PauseAfterFailures)
	p.AlertOns = append(p.AlertOns, "{"+strings.Join(on, ",")+"}")
}
