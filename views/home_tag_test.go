package views

import "testing"

// Issue 27: a home page narrowed to a tag keeps the tag in its poll and in its "see more" links,
// and its totals count all jobs.
func TestHomeTagIsKeptInThePollAndTheMoreLinks(t *testing.T) {
	t.Parallel()
	s := HomeStats{Tag: "team:ops", Totals: Totals{AllJobs: 20, Jobs: 20},
		Running: []RunningRun{{RunID: 1, JobID: 2, JobName: "Export"}}, RunningMore: true,
		FailingJobs: []FailingJob{{JobID: 2, JobName: "Export"}}, FailingTotal: 9, FailingAll: 12}
	doc := parse(t, HomeStatsPanel(s))
	for id, want := range map[string]string{
		"running-more": "/runs?status=running&tag=team%3Aops",
		"failing-more": "/jobs?state=failing&tag=team%3Aops",
	} {
		if got := byTestID(t, doc, id).AttrOr("href", ""); got != want {
			t.Errorf("%s links to %q, want %q", id, got, want)
		}
	}
	if got := byTestID(t, doc, "home-stats").AttrOr("hx-get", ""); got != "/home/stats?tag=team%3Aops" {
		t.Errorf("the panel polls %q", got)
	}
	if got := byTestID(t, doc, "total-failing").Text(); got != "12" {
		t.Errorf("jobs failing now = %q, want 12 for all jobs", got)
	}
	if got := byTestID(t, doc, "home-tag").Text(); got != "team:ops" {
		t.Errorf("the note names %q", got)
	}

	s.Tag = ""
	doc = parse(t, HomeStatsPanel(s))
	if got := byTestID(t, doc, "running-more").AttrOr("href", ""); got != "/runs?status=running" {
		t.Errorf("unfiltered running-more links to %q", got)
	}
	if doc.Find(`[data-testid="home-tag-note"]`).Length() != 0 {
		t.Error("an unfiltered page says it is filtered")
	}
}
