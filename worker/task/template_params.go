package task

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The templates of issue 21: a run's parameters and the run it was made after.

// paramsPrefix starts a reference to a parameter.
const paramsPrefix = "params."

// triggerNames are the templates of the upstream run of a run made after another job's run.
var triggerNames = []string{"trigger.run.id", "trigger.job.id", "trigger.run.status"}

// paramName is what a parameter may be called.
var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// CheckParamName returns what is wrong with a parameter's name, or "".
func CheckParamName(name string) string {
	if !paramName.MatchString(name) {
		return "must start with a letter or _ and hold only letters, digits and _ (at most 64)"
	}
	return ""
}

// checkRunTemplate checks a params. or trigger. template name: ok says it is one, problem what is
// wrong with it. Whether a named parameter exists is the job's to check (ParamRefs).
func checkRunTemplate(name string) (problem string, ok bool) {
	if slices.Contains(triggerNames, name) {
		return "", true
	}
	param, found := strings.CutPrefix(name, paramsPrefix)
	if !found {
		return "", false
	}
	if p := CheckParamName(param); p != "" {
		return fmt.Sprintf("names the parameter %q, whose name %s", param, p), true
	}
	return "", true
}

// ParamRefs lists the parameters a stored payload names, each once, in order of appearance.
func ParamRefs(payload []byte) []string {
	var out []string
	for _, m := range templateRef.FindAllSubmatch(payload, -1) {
		if name, ok := strings.CutPrefix(string(m[1]), paramsPrefix); ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// runValue is the value of a params. or trigger. template for this attempt. A trigger template
// in a run not made after another is empty.
func (t Task) runValue(name string) (string, bool) {
	if param, ok := strings.CutPrefix(name, paramsPrefix); ok {
		v, found := t.Params[param]
		return v, found
	}
	if !slices.Contains(triggerNames, name) {
		return "", false
	}
	if t.Trigger == nil {
		return "", true
	}
	switch name {
	case "trigger.run.id":
		return strconv.FormatInt(t.Trigger.RunID, 10), true
	case "trigger.job.id":
		return strconv.FormatInt(t.Trigger.JobID, 10), true
	}
	return t.Trigger.Status, true
}
