package views

import (
	"strconv"

	"github.com/cronflow/cronflow/worker/runstatus"
)

// RunsFilter is the runs page's filters, as given in the URL.
type RunsFilter struct {
	JobID  string
	Status runstatus.Status
	// From and To are days (2026-03-28) bounding the scheduled time; Error is text the error contains.
	From, To, Error string
	Tag             string // issue 27: runs of jobs with this tag
}

// StatusTab is one of the runs page's status tabs: how many runs the other filters leave in the
// status (Value "" for every status), and the link to it that keeps those filters.
type StatusTab struct {
	Value, Label, URL string
	Count             int64
	// AtLeast says the count stopped at its cap: there are Count runs or more (issue 27).
	AtLeast bool
	Current bool
}

// countText is the tab's count: "10,000+" once it stopped counting.
func (t StatusTab) countText() string {
	if t.AtLeast {
		return Thousands(t.Count) + "+"
	}
	return Thousands(t.Count)
}

// RunRow is a run as the runs table shows it. Output and Error are previews; OutputCut and ErrorCut
// say that the run's own page has more.
type RunRow struct {
	ID, JobID                              int64
	JobName, Trigger                       string
	Status                                 runstatus.Status
	RetryCount                             int32
	Scheduled, Started, Completed, RetryAt Moment
	Duration                               string
	Output, Error                          string
	OutputCut, ErrorCut                    bool
	// TriggerIcon is what made the run, as its icon (issue 27).
	TriggerIcon RunTrigger
	// Unsent marks a queued run whose message the broker has not taken yet (it was down); it is
	// sent as soon as the broker is back.
	Unsent bool
}

// RunsList is one page of runs, and how to refresh it.
type RunsList struct {
	Filter       RunsFilter
	JobName      string // the job filtered on, if any
	Rows         []RunRow
	Newer, Older string
	// PollURL is the URL that refreshes this very table, filters and page included.
	PollURL string
	ShowJob bool
	Note    string
	// Notes are the filters that were dropped, each saying which and why.
	Notes []string
	Tabs  []StatusTab
	// Selectable gives each row a tick box and the bulk bar, for those who may retry runs; the
	// ticks survive the table's refresh (app.js).
	Selectable bool
	// Matching is how many runs the filters match, for "select all N matching" (issue 27).
	Matching int64
	Back     string // this page's URL, where the bulk bar's "Retry" comes back to
}

// trigger is what refreshes the table: every 2 s, and when an action made a run.
func (l RunsList) trigger() string {
	return "every 2s, refresh, runs-changed from:body"
}

// bulkFilter is the runs page's filters as the bulk form posts them, for "select all matching".
func (l RunsList) bulkFilter() map[string]string {
	return map[string]string{"filter.job_id": l.Filter.JobID, "filter.status": l.Filter.Status.String(), "filter.from": l.Filter.From,
		"filter.to": l.Filter.To, "filter.error": l.Filter.Error, "filter.tag": l.Filter.Tag}
}

// Filtered reports whether the list is narrowed by a filter.
func (l RunsList) Filtered() bool { return l.Filter != RunsFilter{} }

// pickerText is what the job picker shows: the name of the job filtered on, or what was typed when
// it fits no single job.
func (l RunsList) pickerText() string {
	if l.JobName != "" || l.pickedID() != "" {
		return l.JobName
	}
	return l.Filter.JobID
}

// pickedID is the id of the job filtered on, if the filter is one.
func (l RunsList) pickedID() string {
	if _, err := strconv.ParseInt(l.Filter.JobID, 10, 64); err == nil {
		return l.Filter.JobID
	}
	return ""
}

// JobOption is a job the runs page's job picker suggests; TypeLabel names its task type.
type JobOption struct {
	ID              int64
	Name, TypeLabel string
}
