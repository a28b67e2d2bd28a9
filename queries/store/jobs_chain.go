package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// The readers of issue 21's job fields (sched-b): overlap, after, params, pause_after_failures and
// alerts.on, each adding its problem by field name.

// Overlaps are the overlap policies, the default first (see worker/runner_overlap.go).
var Overlaps = []string{"allow", "skip", "queue", "replace"}

// AfterOns are the outcomes of an upstream run that an after can wait for, the default first.
var AfterOns = []string{"success", "failure", "settled"}

// AlertEvents are the kinds of event a job's alerts.on may name.
var AlertEvents = []string{"failing", "recovered", "skipped", "missed", "paused"}

// Limits on issue 21's fields.
const (
	MaxParams              = 50
	maxParamValue          = 1000
	maxPauseAfterFailures  = 1000
	defaultPauseAfterFails = "0"
)

// After is a job's after: run once after each run of the job JobID that settles as On.
type After struct {
	JobID int64  `json:"job_id"`
	On    string `json:"on"`
}

// readAfter checks a job's after as given: null or absent is none.
func readAfter(raw json.RawMessage, problems map[string]string) *After {
	if !present(raw) {
		return nil
	}
	var in struct {
		JobID json.RawMessage `json:"job_id"`
		On    string          `json:"on"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		problems["after"] = `must be null or an object such as {"job_id": 3, "on": "success"}`
		return nil
	}
	id, ok := intField(problems, "after.job_id", in.JobID, 1, 1<<53)
	on := choiceField(problems, "after.on", in.On, AfterOns...)
	if !ok {
		return nil
	}
	return &After{JobID: int64(id), On: on}
}

// readParams checks a job's params: an object of at most MaxParams string values, each named as
// {{params.NAME}} can name it.
func readParams(raw json.RawMessage, problems map[string]string) map[string]string {
	params := map[string]string{}
	if !present(raw) {
		return params
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		problems["params"] = `must be an object of names and string values, such as {"region": "eu"}`
		return params
	}
	if len(in) > MaxParams {
		problems["params"] = fmt.Sprintf("must have at most %d parameters, has %d", MaxParams, len(in))
		return params
	}
	for name, v := range in {
		s, isString := v.(string)
		switch {
		case task.CheckParamName(name) != "":
			problems["params"] = fmt.Sprintf("names the parameter %q, whose name %s", name, task.CheckParamName(name))
		case !isString:
			problems["params."+name] = "must be a string"
		case utf8.RuneCountInString(s) > maxParamValue || strings.ContainsRune(s, 0):
			problems["params."+name] = fmt.Sprintf("must be at most %d characters, without NUL", maxParamValue)
		default:
			params[name] = s
		}
	}
	return params
}

// checkParamRefs adds a problem on the payload if it names a parameter the job does not define.
func checkParamRefs(payload json.RawMessage, params map[string]string, problems map[string]string) {
	for _, name := range task.ParamRefs(payload) {
		if _, ok := params[name]; !ok && problems["payload"] == "" {
			problems["payload"] = fmt.Sprintf("names {{params.%s}}, which is not among the job's params: add it there with a default", name)
		}
	}
}

// readAlertsOn reads alerts.on: nil when not given (today's events: failing and recovered).
func readAlertsOn(raw json.RawMessage, problems map[string]string) []string {
	if !present(raw) {
		return nil
	}
	var in struct {
		On []string `json:"on"`
	}
	if json.Unmarshal(raw, &in) != nil || in.On == nil {
		return nil
	}
	on := []string{}
	for _, e := range in.On {
		if !slices.Contains(AlertEvents, e) {
			problems["alerts.on"] = "must list events among " + strings.Join(AlertEvents, ", ")
			return nil
		}
		if !slices.Contains(on, e) {
			on = append(on, e)
		}
	}
	return on
}

// ParamOverrides checks the params a run now gives against its job's: each must be a string and
// name one of the job's params. It answers the params the run uses.
func ParamOverrides(jobParams []byte, raw json.RawMessage) (map[string]string, map[string]string) {
	problems := map[string]string{}
	params := map[string]string{}
	_ = json.Unmarshal(jobParams, &params)
	given := readParams(raw, problems)
	var unknown []string
	for name, v := range given {
		if _, ok := params[name]; !ok {
			unknown = append(unknown, name)
			continue
		}
		params[name] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		problems["params"] = "names parameters the job does not have: " + strings.Join(unknown, ", ")
	}
	return params, problems
}

// CheckAfter adds a problem if a job's after names a job that does not exist, or would make a
// cycle: the job itself, or a job that runs after it, directly or not. id is the job's own id, 0
// for a new job (which nothing runs after yet).
func (s *Store) CheckAfter(ctx context.Context, id int64, spec JobSpec, problems map[string]string) error {
	if spec.AfterJobID == nil {
		return nil
	}
	chain, err := s.q.JobAfterChain(ctx, *spec.AfterJobID)
	if err != nil {
		return fmt.Errorf("follow the after chain of job %d: %w", *spec.AfterJobID, err)
	}
	switch {
	case len(chain) == 0:
		problems["after.job_id"] = fmt.Sprintf("names job %d, which does not exist", *spec.AfterJobID)
	case id != 0 && slices.Contains(chain, id):
		problems["after.job_id"] = fmt.Sprintf("names job %d, which runs after this job itself: a cycle", *spec.AfterJobID)
	}
	return nil
}

// chainParams are a validated job's issue 21 fields as the insert query takes them.
func (s JobSpec) chainParams(p *sqlcgen.JobInsertParams) {
	p.Overlap, p.AfterJobID, p.AfterOn = s.Overlap, s.AfterJobID, cmp.Or(s.AfterOn, AfterOns[0])
	p.Params, _ = json.Marshal(s.Params)
	p.PauseAfterFailures, p.AlertOn = s.PauseAfterFailures, s.AlertOn
}
