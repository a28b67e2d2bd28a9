package views

import (
	"fmt"
	"strings"
)

// RunTrigger is what made a run, as the runs table marks it with an icon (issue 27). The runs
// table keeps the trigger a run was made by ("schedule", "manual", "backfill", "after"), and how
// many times it was retried (RetryCount, by its retry policy or by hand): a retried run shows as a
// retry, and its label says what first made it.
type RunTrigger struct {
	// Kind is the trigger's key in triggerKinds, and the icon's data-trigger.
	Kind string
	// Label is the icon's text alternative: "Scheduled", "Run by hand", ….
	Label string
}

// triggerKind is one kind of trigger: its words and its icon, an SVG path in a 16×16 box drawn
// with a 1.5 px stroke.
type triggerKind struct {
	label, path string
}

// triggerKinds is the one place each kind of trigger is named and drawn.
var triggerKinds = map[string]triggerKind{
	"schedule": {"Scheduled", "M8 1.75a6.25 6.25 0 1 0 0 12.5a6.25 6.25 0 1 0 0-12.5M8 4.5V8l2.5 1.5"},
	"manual":   {"Run by hand", "M5 3.5v9l7-4.5z"},
	"retry":    {"Retried", "M13 8a5 5 0 1 1-1.6-3.7M13 2.5v2.5h-2.5"},
	"after":    {"Ran after another job's run", "M6.5 9.5l3-3M4.5 8L3 9.5a2.1 2.1 0 0 0 3 3L7.5 11M11.5 8L13 6.5a2.1 2.1 0 0 0-3-3L8.5 5"},
	"backfill": {"Backfilled", "M8 4L3 8l5 4zM13.5 4l-5 4l5 4z"},
}

// NewRunTrigger is the trigger a run shows: a retry over what first made it, which its label
// names ("Retried 2 times; first scheduled").
func NewRunTrigger(trigger string, retryCount int32) RunTrigger {
	t := RunTrigger{Kind: trigger, Label: "Made by " + trigger}
	if k, ok := triggerKinds[trigger]; ok {
		t.Label = k.label
	}
	if retryCount > 0 {
		times := plural(int64(retryCount), "once", fmt.Sprintf("%d times", retryCount))
		t = RunTrigger{Kind: "retry", Label: "Retried " + times + "; first " + strings.ToLower(t.Label)}
	}
	return t
}

// path is the icon's drawing; an unknown trigger gets a dot.
func (t RunTrigger) path() string {
	if k, ok := triggerKinds[t.Kind]; ok {
		return k.path
	}
	return "M8 6.5a1.5 1.5 0 1 0 0 3a1.5 1.5 0 1 0 0-3"
}
