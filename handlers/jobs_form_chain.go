package handlers

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// The job form's fields of issue 21 (sched-b): overlap, after, params, pause_after_failures.

// chainFormFromJob fills the form's issue 21 fields with a stored job's.
func chainFormFromJob(f *jobForm, j sqlcgen.Job) {
	f.Overlap, f.AfterOn = j.Overlap, j.AfterOn
	f.PauseAfterFailures = strconv.Itoa(int(j.PauseAfterFailures))
	if j.AfterJobID != nil {
		f.AfterJob = strconv.FormatInt(*j.AfterJobID, 10)
	}
	params := jobParams(j.Params)
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, name := range names {
		lines[i] = name + "=" + params[name]
	}
	f.Params = strings.Join(lines, "\n")
}

// chainInput maps the form's issue 21 fields onto the API's job input, with the problems only the
// form can have (a params line that is not NAME=value, an upstream job that is not a number).
func (f jobForm) chainInput(in *store.JobInput, problems map[string]string) {
	in.Overlap = f.Overlap
	in.PauseAfterFailures = formNumber(f.PauseAfterFailures)
	if id := strings.TrimSpace(f.AfterJob); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			problems["after.job_id"] = "must be the id of a job, a whole number"
		} else {
			in.After, _ = json.Marshal(store.After{JobID: n, On: f.AfterOn})
		}
	}
	params := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(f.Params, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			problems["params"] = fmt.Sprintf("line %d must be NAME=default", i+1)
			continue
		}
		params[strings.TrimSpace(name)] = value
	}
	in.Params, _ = json.Marshal(params)
}

// overlapWords says a job's overlap policy in words, for its page.
var overlapWords = map[string]string{
	"allow":   "Runs anyway, beside the earlier run (allow)",
	"skip":    "The slot is skipped (skip)",
	"queue":   "The slot waits for it; one slot at most, later ones are skipped (queue)",
	"replace": "The earlier run is cancelled and the slot runs (replace)",
}

// afterWords says when a job runs after its upstream job's runs.
var afterWords = map[string]string{"success": "completes", "failure": "fails for good", "settled": "settles, either way"}

// chainDetail fills the job page's issue 21 settings (sched-b).
func chainDetail(d *views.JobDetail, j sqlcgen.Job) {
	d.Overlap, d.PausedReason = overlapWords[j.Overlap], j.PausedReason
	if j.AfterJobID != nil {
		d.After = fmt.Sprintf("Each run of job %d that %s", *j.AfterJobID, afterWords[j.AfterOn])
	}
	d.PauseAfter = "Never"
	if j.PauseAfterFailures > 0 {
		d.PauseAfter = fmt.Sprintf("After %d runs in a row fail for good", j.PauseAfterFailures)
	}
	d.Params = paramSettings(jobParams(j.Params))
}

// runChainDetail fills a run page's issue 21 details (sched-b): the params it used and the run it
// was made after.
func runChainDetail(d *views.RunDetail, r sqlcgen.Run) {
	if r.TriggerRunID != nil {
		d.TriggerRunID = *r.TriggerRunID
	}
	d.Params = paramSettings(runParams(r.Params))
}

// paramSettings lists params as settings, by name.
func paramSettings(params map[string]string) []views.Setting {
	var out []views.Setting
	for _, name := range slices.Sorted(maps.Keys(params)) {
		out = append(out, views.Setting{Label: name, Value: params[name]})
	}
	return out
}
