package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// planImport checks the jobs of a document, read and checked one by one already (see
// readDocument), against what is stored, and decides what to do with each: create it, update the
// stored job of the same name (upsert), or leave that job as it is. Any problem with any job
// refuses the whole document.
func planImport(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob, problems map[int]map[string]string, mode string) ([]ImportedJob, error) {
	if err := checkImportChannels(ctx, q, jobs, problems); err != nil {
		return nil, err
	}
	if err := checkImportSecrets(ctx, q, jobs, problems); err != nil {
		return nil, err
	}
	if err := checkImportAfter(ctx, q, jobs, problems); err != nil {
		return nil, err
	}
	if mode == ImportUpsert {
		if err := matchByName(ctx, q, jobs, problems); err != nil {
			return nil, err
		}
	}
	if len(problems) == 0 {
		return jobs, defaultAlerts(ctx, q, jobs)
	}
	invalid := &InvalidImportError{}
	for i, fields := range problems {
		invalid.Jobs = append(invalid.Jobs, ImportProblem{Index: i, Name: jobs[i].Name, Fields: fields})
	}
	sort.Slice(invalid.Jobs, func(a, b int) bool { return invalid.Jobs[a].Index < invalid.Jobs[b].Index })
	return nil, invalid
}

// checkImportJob validates one job of a document as the API validates a new job, and answers it
// as it would be stored, its name, and its problems by field.
func checkImportJob(raw json.RawMessage, now time.Time) (sqlcgen.Job, string, map[string]string, importUntold) {
	var in JobInput
	var state struct {
		Paused *bool `json:"paused"`
	}
	typeProblems := map[string]string{}
	for _, v := range []any{&in, &state} {
		if err := json.Unmarshal(raw, v); err != nil {
			p := FieldTypeProblem(err)
			if p == nil {
				return sqlcgen.Job{}, "", map[string]string{"job": "must be a JSON object"}, importUntold{}
			}
			maps.Copy(typeProblems, p)
		}
	}
	// A field neither knows is named, as the API names it (issue 21).
	maps.Copy(typeProblems, UnknownFields(raw, nil, &in, &state))
	spec, problems := in.Valid(now)
	maps.Copy(problems, typeProblems)
	name := spec.Name
	if len(problems) > 0 {
		name = strings.TrimSpace(in.Name) // the name as given, not one made up for it
	}
	p := spec.insertParams()
	job := sqlcgen.Job{
		Name: name, Type: p.Type, Payload: p.Payload, Cron: p.Cron, Timezone: p.Timezone, MaxRetries: p.MaxRetries,
		RetryDelayMs: p.RetryDelayMs, TimeoutMs: p.TimeoutMs, Catchup: p.Catchup, Paused: state.Paused != nil && *state.Paused,
		NextRunAt: p.NextRunAt, RetryOn: p.RetryOn, RetryBackoff: p.RetryBackoff, SigningSecret: p.SigningSecret,
		SecretRefs: p.SecretRefs, AlertChannels: spec.AlertChannels, AlertAfter: spec.AlertAfter.Int32, // nil channels: no alerts given
		// issue 21, jitter and windows
		JitterMs: p.JitterMs, StartAt: p.StartAt, EndAt: p.EndAt, Blackouts: p.Blackouts,
		// overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
		Overlap: p.Overlap, AfterJobID: p.AfterJobID, AfterOn: p.AfterOn, Params: p.Params,
		PauseAfterFailures: p.PauseAfterFailures, AlertOn: defaultAlertOn(p.AlertOn),
		// alert rules (issue 22): off when no alerts were given
		AlertRepeatMs: orZero(spec.AlertRepeatMs), AlertFlapWindowMs: orZero(spec.AlertFlapWindowMs),
		// issue 27: tags nil and description nil when not given (see keepUntold)
		Tags: spec.Tags, Description: cmp.Or(ptrValue(spec.Description), ""),
	}
	untold := importUntold{tags: spec.Tags == nil, description: spec.Description == nil}
	return job, name, problems, untold
}

// checkImportChannels checks the alert channels of every job of a document as the API checks one
// job's, with one query for them all: a channel that does not exist is a problem with the entry.
func checkImportChannels(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob, problems map[int]map[string]string) error {
	var ids []int64
	for _, j := range jobs {
		for _, id := range j.job.AlertChannels {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := q.ChannelListIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("check alert channels: %w", err)
	}
	for i, j := range jobs {
		fields := map[string]string{}
		if missingChannels(j.job.AlertChannels, found, fields); len(fields) == 0 {
			continue
		}
		if problems[i] == nil {
			problems[i] = map[string]string{}
		}
		maps.Copy(problems[i], fields)
	}
	return nil
}

// defaultAlerts gives the new jobs that came without alerts the channels marked default, after one
// failed run, as POST /api/jobs does.
func defaultAlerts(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob) error {
	var defaults []int64
	for i := range jobs {
		if jobs[i].job.AlertChannels != nil {
			continue
		}
		if defaults == nil {
			var err error
			if defaults, err = q.ChannelListDefaultIDs(ctx); err != nil {
				return fmt.Errorf("list default channels: %w", err)
			}
			defaults = append([]int64{}, defaults...) // not nil, even with none
		}
		jobs[i].job.AlertChannels, jobs[i].job.AlertAfter = defaults, 1
	}
	return nil
}

// matchByName finds the stored job each job of the document updates. A name given twice in the
// document, or shared by several stored jobs, cannot say which job it means: that is a problem
// with the entry. The matched jobs are locked until the import's transaction ends.
func matchByName(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob, problems map[int]map[string]string) error {
	addProblem := func(i int, problem string) {
		if problems[i] == nil {
			problems[i] = map[string]string{}
		}
		problems[i]["name"] = problem
	}
	first := map[string]int{}
	names := make([]string, 0, len(jobs))
	for i, j := range jobs {
		if prev, seen := first[j.Name]; seen {
			addProblem(i, fmt.Sprintf("is also the name of job %d of the document; upsert matches jobs by name, so each name may appear once", prev))
			continue
		}
		first[j.Name] = i
		names = append(names, j.Name)
	}
	stored, err := q.JobListByNames(ctx, names)
	if err != nil {
		return fmt.Errorf("find jobs by name: %w", err)
	}
	byName := map[string][]sqlcgen.Job{}
	for _, s := range stored {
		byName[s.Name] = append(byName[s.Name], s)
	}
	for i := range jobs {
		matches := byName[jobs[i].Name]
		switch {
		case len(problems[i]) > 0 || len(matches) == 0:
		case len(matches) > 1:
			ids := make([]string, len(matches))
			for k, m := range matches {
				ids[k] = fmt.Sprint(m.ID)
			}
			addProblem(i, fmt.Sprintf("matches %d stored jobs (ids %s); upsert needs a name that matches one job", len(matches), strings.Join(ids, ", ")))
		default:
			jobs[i].job.ID = matches[0].ID
			if jobs[i].job.AlertChannels == nil { // alerts not given are kept, as PUT /api/jobs/{id} keeps them
				jobs[i].job.AlertChannels, jobs[i].job.AlertAfter = matches[0].AlertChannels, matches[0].AlertAfter
			}
			keepUntold(&jobs[i], matches[0])
			jobs[i].Changes = JobChanges(&matches[0], &jobs[i].job)
			jobs[i].Action = "update"
			if len(jobs[i].Changes) == 0 {
				jobs[i].Action = "unchanged"
			}
		}
	}
	return nil
}

// checkImportSecrets adds a problem to each imported job that names a secret that does not exist,
// with one query for the whole document.
func checkImportSecrets(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob, problems map[int]map[string]string) error {
	var all []string
	for _, j := range jobs {
		all = append(all, j.job.SecretRefs...)
	}
	if len(all) == 0 {
		return nil
	}
	known, err := q.SecretNamesIn(ctx, all)
	if err != nil {
		return fmt.Errorf("check secret references: %w", err)
	}
	for i, j := range jobs {
		for field, names := range task.SecretRefs(j.job.Payload) {
			for _, name := range names {
				if !slices.Contains(known, name) {
					if problems[i] == nil {
						problems[i] = map[string]string{}
					}
					problems[i][field] = missingSecret(name)
				}
			}
		}
	}
	return nil
}

// checkImportAfter checks that the job each imported job runs after exists (issue 21, sched-b).
// An import cannot make a cycle: the jobs it makes are new, and nothing runs after them yet.
func checkImportAfter(ctx context.Context, q *sqlcgen.Queries, jobs []ImportedJob, problems map[int]map[string]string) error {
	known := map[int64]bool{}
	for i, j := range jobs {
		id := j.job.AfterJobID
		if id == nil {
			continue
		}
		exists, seen := known[*id]
		if !seen {
			chain, err := q.JobAfterChain(ctx, *id)
			if err != nil {
				return fmt.Errorf("check the job imported job %d runs after: %w", i, err)
			}
			exists = len(chain) > 0
			known[*id] = exists
		}
		if !exists {
			if problems[i] == nil {
				problems[i] = map[string]string{}
			}
			problems[i]["after.job_id"] = fmt.Sprintf("names job %d, which does not exist", *id)
		}
	}
	return nil
}

// keepUntold keeps the stored job's tags and description where the entry left them out.
func keepUntold(j *ImportedJob, stored sqlcgen.Job) {
	if j.untold.tags {
		j.job.Tags = stored.Tags
	}
	if j.untold.description {
		j.job.Description = stored.Description
	}
}

// ptrValue is the value p points to, or the zero value.
func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// defaultAlertOn is alerts.on as given, or the events a job alerts on by default.
func defaultAlertOn(on []string) []string {
	if on == nil {
		return []string{"failing", "recovered"}
	}
	return on
}
