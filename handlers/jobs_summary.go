package handlers

import (
	"encoding/json"

	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/task"
)

// payloadSummary says in one line what a job does, with its secrets masked: a Slack webhook's
// path, and any password or query value in a URL. It is clipped, to keep a page of jobs small.
func payloadSummary(taskType string, payload json.RawMessage) string {
	t, ok := task.Lookup(taskType)
	if !ok {
		return ""
	}
	return clip(t.SummaryFunc(payload), 120)
}

// typeLabel names a task type as people read it; a type this build does not know shows its name.
func typeLabel(taskType string) string {
	if t, ok := task.Lookup(taskType); ok {
		return t.Label
	}
	return taskType
}

// payloadSettings lists a job's task settings for its page, secrets masked as in payloadSummary.
func payloadSettings(taskType string, payload json.RawMessage) []views.Setting {
	t, ok := task.Lookup(taskType)
	if !ok {
		return nil
	}
	settings := t.SettingsFunc(payload)
	out := make([]views.Setting, len(settings))
	for i, s := range settings {
		out[i] = views.Setting{Label: s.Label, Value: s.Value, Code: s.Code}
	}
	return out
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string { return task.Clip(s, n) }
