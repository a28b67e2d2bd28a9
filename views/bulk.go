package views

import (
	"fmt"
	"slices"
	"strings"
)

// Bulk actions (issue 27): the words of their confirmation and of what they did, in one place, so
// that the dialog, the page without JavaScript and the flash say the same.

// BulkConfirm is a bulk action waiting for its confirmation: what, on how many, and the selection to
// post again (the ids ticked, or the filters of "all matching", resolved again when confirmed).
type BulkConfirm struct {
	Kind   string // "jobs" or "runs"
	Action string // pause, resume, run, delete or retry
	Count  int
	All    bool
	IDs    []int64
	Filter map[string]string // the list's filters, by form field ("filter.q")
	Back   string
	// Refusal says why the action cannot be taken (too many match); no confirm button then.
	Refusal string
}

// bulkWords are each action's verb (for the title and button) and what it does to each one.
var bulkWords = map[string]struct{ verb, what, done string }{
	"pause":  {"Pause", "Their schedules stop until they are resumed; runs already queued still run.", "Paused"},
	"resume": {"Resume", "Each runs again from its next slot; slots missed while paused are not caught up.", "Resumed"},
	"run":    {"Run", "Each runs once now, besides its schedule: its request, email or message is sent.", "Started a run of"},
	"delete": {"Delete", "Each is deleted with all its runs, for good; its audit history stays.", "Deleted"},
	"retry":  {"Retry", "Each sends its webhook or email again. Runs that did not fail for good and were not missed are left as they are.", "Queued again"},
}

// noun is "1 job", "47 runs".
func noun(n int, kind string) string { return Count(int64(n), strings.TrimSuffix(kind, "s"), kind) }

// Title is the question the confirmation asks: "Retry 47 runs?".
func (d BulkConfirm) Title() string {
	if d.Action == "run" {
		return fmt.Sprintf("Run %s now?", noun(d.Count, d.Kind))
	}
	return fmt.Sprintf("%s %s?", bulkWords[d.Action].verb, noun(d.Count, d.Kind))
}

// What says exactly what will happen to each.
func (d BulkConfirm) What() string {
	what := bulkWords[d.Action].what
	if d.All {
		what = "Every one that matches the filters now. " + what
	}
	return what
}

// Button is the confirm button's label: "Pause 3 jobs".
func (d BulkConfirm) Button() string {
	if d.Action == "run" {
		return "Run " + noun(d.Count, d.Kind) + " now"
	}
	return bulkWords[d.Action].verb + " " + noun(d.Count, d.Kind)
}

// filterKeys are the filters to post again, in a stable order.
func (d BulkConfirm) filterKeys() []string {
	keys := make([]string, 0, len(d.Filter))
	for k, v := range d.Filter {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (d BulkConfirm) action() string { return "/" + d.Kind + "/bulk" }

// BulkDone says what a bulk action did, and why it passed some over (reasons by how many).
func BulkDone(kind, action string, done int, skipped map[string]int) string {
	msg := fmt.Sprintf("%s %s.", bulkWords[action].done, noun(done, kind))
	reasons := make([]string, 0, len(skipped))
	for r := range skipped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		msg += fmt.Sprintf(" %s not changed (%s).", noun(skipped[r], kind), r)
	}
	return msg
}

// jobBulkActions are the bulk bar's buttons on the jobs page.
var jobBulkActions = []Option{{"pause", "Pause"}, {"resume", "Resume"}, {"run", "Run now"}, {"delete", "Delete"}}

// runBulkActions are the bulk bar's buttons on the runs page.
var runBulkActions = []Option{{"retry", "Retry"}}

// bulkFilter is the job list's filters as the bulk form posts them, for "select all matching".
func (l JobsList) bulkFilter() map[string]string {
	return map[string]string{"filter.q": l.Filter.Q, "filter.type": l.Filter.Type, "filter.state": l.Filter.State, "filter.tag": l.Filter.Tag}
}
