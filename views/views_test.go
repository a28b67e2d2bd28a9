package views

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/cronflow/cronflow/worker/runstatus"
)

// parse renders a component and parses the result as HTML.
func parse(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// byTestID finds the elements with a data-testid, and fails the test if there are none.
func byTestID(t *testing.T, doc *goquery.Document, id string) *goquery.Selection {
	t.Helper()
	s := doc.Find(`[data-testid="` + id + `"]`)
	if s.Length() == 0 {
		t.Fatalf("no element with data-testid=%q", id)
	}
	return s
}

var (
	testNow = time.Date(2026, 3, 28, 10, 15, 0, 0, time.UTC)
	testAgo = testNow.Add(-2 * time.Minute)
)

func TestStatusBadgeTellsRetryingFromFailedForGood(t *testing.T) {
	t.Parallel()
	retry := testNow.Add(3 * time.Second)
	for _, tt := range []struct {
		status, label, class string
		retryAt              Moment
		wantRetry            bool
	}{
		{"queued", "queued", "badge-queued", Moment{}, false},
		{"running", "running", "badge-running", Moment{}, false},
		{"completed", "completed", "badge-completed", Moment{}, false},
		{"failed", "failed, will retry", "badge-failed", NewMoment(&retry, testNow, nil), true},
		{"permanently_failed", "failed for good", "badge-permanently_failed", Moment{}, false},
	} {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			doc := parse(t, StatusBadge(runstatus.Status(tt.status), tt.retryAt))
			badge := byTestID(t, doc, "run-status")
			if got := strings.TrimSpace(badge.Text()); got != tt.label {
				t.Errorf("label = %q, want %q", got, tt.label)
			}
			if !badge.HasClass(tt.class) || badge.AttrOr("data-status", "") != tt.status {
				t.Errorf("badge class %q, data-status %q", badge.AttrOr("class", ""), badge.AttrOr("data-status", ""))
			}
			if got := doc.Find(".retry-at").Length() == 1; got != tt.wantRetry {
				t.Errorf("shows a retry time: %v, want %v", got, tt.wantRetry)
			}
		})
	}
}

func TestTimeCarriesTheExactTimeAndZone(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	doc := parse(t, Time(NewMoment(&testAgo, testNow, berlin)))
	tm := doc.Find("time")
	if got := tm.Text(); got != "2 min ago" {
		t.Errorf("text = %q, want 2 min ago", got)
	}
	if got := tm.AttrOr("title", ""); got != "2026-03-28 11:13:00 Europe/Berlin" {
		t.Errorf("title = %q", got)
	}
	if got := tm.AttrOr("datetime", ""); got != "2026-03-28T10:13:00Z" {
		t.Errorf("datetime = %q", got)
	}
	if doc := parse(t, Time(Moment{})); doc.Find("time").Length() != 0 || !strings.Contains(doc.Text(), "–") {
		t.Errorf("the zero moment should show as a dash: %q", doc.Text())
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{Relative(testNow.Add(3*time.Minute+10*time.Second), testNow), "in 3 min"},
		{Relative(testNow.Add(-90*time.Second), testNow), "1 min ago"},
		{Relative(testNow.Add(-500*time.Millisecond), testNow), "just now"},
		{Relative(testNow.Add(-50*time.Hour), testNow), "2 days ago"},
		{Duration(350 * time.Millisecond), "350 ms"},
		{Duration(1234 * time.Millisecond), "1.2 s"},
		{Duration(125 * time.Second), "2 min 5 s"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(-1000), "-1,000"},
		{Thousands(999), "999"},
		{Exact(testNow, nil), "2026-03-28 10:15:00 UTC"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLayoutLoadsOnlyItsOwnScriptsAndSwaps422(t *testing.T) {
	t.Parallel()
	p := Page{Title: "Jobs", Nav: "jobs", Flash: Flash{Kind: "success", Text: "Saved."},
		Assets: Assets{PicoCSS: "/assets/pico.min.css?v=1", AppCSS: "/assets/app.css?v=1", HTMX: "/assets/htmx.min.js?v=1", AppJS: "/assets/app.js?v=1"}}
	doc := parse(t, Layout(p))
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src := s.AttrOr("src", ""); !strings.HasPrefix(src, "/assets/") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("script %q with text %q: only embedded scripts, never inline ones", src, s.Text())
		}
	})
	if n := doc.Find("[style]").Length(); n != 0 {
		t.Errorf("%d elements have inline styles", n)
	}
	var cfg struct {
		AllowEval        bool `json:"allowEval"`
		ResponseHandling []struct {
			Code string `json:"code"`
			Swap bool   `json:"swap"`
		} `json:"responseHandling"`
	}
	if err := json.Unmarshal([]byte(doc.Find(`meta[name="htmx-config"]`).AttrOr("content", "")), &cfg); err != nil {
		t.Fatalf("htmx-config: %v", err)
	}
	swaps422 := false
	for _, h := range cfg.ResponseHandling {
		if h.Code == "422" {
			swaps422 = h.Swap
			break
		}
	}
	if !swaps422 || cfg.AllowEval {
		t.Errorf("htmx config = %+v: 422 must swap and eval must be off", cfg)
	}
	if got := byTestID(t, doc, "nav-jobs").AttrOr("aria-current", ""); got != "page" {
		t.Errorf("current nav entry: aria-current = %q", got)
	}
	if got := byTestID(t, doc, "flash").Text(); got != "Saved." {
		t.Errorf("flash = %q", got)
	}
	for _, id := range []string{"nav-home", "nav-runs", "nav-new"} {
		byTestID(t, doc, id)
	}
}

func TestJobFormKeepsInputAndShowsErrorsByTheirFields(t *testing.T) {
	t.Parallel()
	f := JobForm{
		Action: "/jobs", Title: "New job", Submit: "Create job", Cancel: "/jobs",
		Values: JobFormValues{Name: "Nightly", Mode: "advanced", Cron: "61 * * * *", Timezone: "UTC", Type: "ping",
			Payload: map[string]string{"payload.url": "ftp://x"}},
		Fields: []TaskField{{Name: "payload.url", Label: "URL", Input: "url", Hint: "Any 2xx answer is a success."}},
		Errors: map[string]string{"cron": "is not a valid cron expression", "payload.url": "must be an absolute http or https URL"},
		Types:  []Option{{"ping", "Ping a URL"}, {"email", "Send an email"}}, Timezones: []string{"UTC", "Europe/Berlin"},
		Presets: []Option{{"simple", "Every day"}, {"advanced", "Cron expression"}},
	}
	doc := parse(t, JobFormView(f))
	form := byTestID(t, doc, "job-form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/jobs" || form.AttrOr("hx-post", "") != "/jobs" {
		t.Errorf("form posts to %q/%q", form.AttrOr("action", ""), form.AttrOr("hx-post", ""))
	}
	cron := byTestID(t, doc, "cron-input")
	if cron.AttrOr("value", "") != "61 * * * *" || cron.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("cron input: value %q, aria-invalid %q", cron.AttrOr("value", ""), cron.AttrOr("aria-invalid", ""))
	}
	if got := byTestID(t, doc, "cron-error").Text(); got != "The schedule is not a valid cron expression." {
		t.Errorf("cron-error = %q", got)
	}
	if got := byTestID(t, doc, "payload-url-error").Text(); !strings.Contains(got, "http") {
		t.Errorf("payload-url-error = %q", got)
	}
	if got := byTestID(t, doc, "name-input").AttrOr("value", ""); got != "Nightly" {
		t.Errorf("name = %q", got)
	}
	if !byTestID(t, doc, "mode-advanced").Is("[checked]") {
		t.Error("advanced mode is not checked")
	}
	byTestID(t, doc, "form-problems")
	if got := byTestID(t, doc, "submit").Text(); got != "Create job" {
		t.Errorf("submit = %q", got)
	}
	typ := byTestID(t, doc, "task-type")
	if typ.AttrOr("hx-get", "") != "/jobs/task-fields" || typ.AttrOr("hx-target", "") != "#task-fields" {
		t.Errorf("task select swaps %q into %q", typ.AttrOr("hx-get", ""), typ.AttrOr("hx-target", ""))
	}
	// Every field has a label.
	doc.Find("input:not([type=hidden]):not([type=radio]), select, textarea").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("field %q has no label", s.AttrOr("name", ""))
		}
	})
}

func TestTaskFieldsShowTheFieldsOfTheType(t *testing.T) {
	t.Parallel()
	f := JobForm{
		Values: JobFormValues{Type: "email", Payload: map[string]string{"payload.to": "a@example.com", "payload.body": "Hi <b>"}},
		Fields: []TaskField{
			{Name: "payload.to", Label: "To", Input: "text", Hint: "Addresses."},
			{Name: "payload.subject", Label: "Subject", Input: "text"},
			{Name: "payload.body", Label: "Message", Input: "textarea"},
		},
	}
	doc := parse(t, TaskFields(f))
	if got := byTestID(t, doc, "task-fields").AttrOr("data-type", ""); got != "email" {
		t.Errorf("data-type = %q", got)
	}
	to := byTestID(t, doc, "payload-to-input")
	if to.AttrOr("value", "") != "a@example.com" || to.AttrOr("name", "") != "payload.to" || to.AttrOr("id", "") != "field-payload-to" {
		t.Errorf("to input: value %q, name %q, id %q", to.AttrOr("value", ""), to.AttrOr("name", ""), to.AttrOr("id", ""))
	}
	if body := byTestID(t, doc, "payload-body-input"); !body.Is("textarea") || body.Text() != "Hi <b>" {
		t.Errorf("body is a %s holding %q", goquery.NodeName(body), body.Text())
	}
	if n := doc.Find("input:not([type=hidden]), textarea").Length(); n != 3 {
		t.Errorf("%d fields, want 3", n)
	}
	if doc.Find("#hint-payload-to").Length() != 1 || doc.Find("#hint-payload-subject").Length() != 0 {
		t.Error("a hint shows for a field that has one, and only then")
	}
}

func TestSchedulePreviewFragmentFillsAndClearsErrorSlots(t *testing.T) {
	t.Parallel()
	doc := parse(t, SchedulePreviewFragment(SchedulePreview{Errors: map[string]string{"cron": "is not a valid cron expression"}}))
	for _, id := range []string{"hour-error", "minute-error", "cron-error", "timezone-error"} {
		if byTestID(t, doc, id).AttrOr("hx-swap-oob", "") != "true" {
			t.Errorf("%s is not swapped out of band", id)
		}
	}
	if got := byTestID(t, doc, "cron-error").Text(); got != "The schedule is not a valid cron expression." {
		t.Errorf("cron-error = %q", got)
	}
	ok := parse(t, SchedulePreviewView(SchedulePreview{Words: "At 02:30, every day", Timezone: "Europe/Berlin",
		Next: []NextRun{{"Sat 28 Mar 2026, 02:30 Europe/Berlin", "Sat 28 Mar 2026, 01:30 UTC"}}}))
	if got := byTestID(t, ok, "schedule-words").Text(); got != "At 02:30, every day" {
		t.Errorf("words = %q", got)
	}
	if n := byTestID(t, ok, "next-run").Length(); n != 1 {
		t.Errorf("%d next runs", n)
	}
}

func TestRunsTablePollsWithItsOwnFilters(t *testing.T) {
	t.Parallel()
	l := RunsList{
		Filter: RunsFilter{Status: "failed"}, PollURL: "/runs/table?status=failed&before=90", ShowJob: true,
		Older: "/runs?before=41&status=failed",
		Rows: []RunRow{
			{ID: 42, JobID: 7, JobName: "Nightly", Status: "failed", Error: "HTTP 503", Scheduled: NewMoment(&testAgo, testNow, nil)},
			{ID: 41, JobID: 7, JobName: "Nightly", Status: "completed", Output: "ok", OutputCut: true},
		},
	}
	doc := parse(t, RunsTable(l))
	table := byTestID(t, doc, "runs-table")
	if table.AttrOr("hx-get", "") != l.PollURL || !strings.Contains(table.AttrOr("hx-trigger", ""), "every 2s") {
		t.Errorf("polls %q on %q", table.AttrOr("hx-get", ""), table.AttrOr("hx-trigger", ""))
	}
	if table.AttrOr("hx-swap", "") != "outerHTML" {
		t.Errorf("swap = %q", table.AttrOr("hx-swap", ""))
	}
	rows := byTestID(t, doc, "run-row")
	if rows.Length() != 2 || rows.First().AttrOr("data-run-id", "") != "42" {
		t.Fatalf("rows: %d", rows.Length())
	}
	if got := rows.First().Find(`[data-testid="run-status"]`).AttrOr("data-status", ""); got != "failed" {
		t.Errorf("first row status = %q", got)
	}
	if got := rows.First().Find(`details[data-testid="run-error"]`).AttrOr("data-key", ""); got != "run-42-error" {
		t.Errorf("error details key = %q", got)
	}
	if rows.Last().Find(`details[data-testid="run-output"] a[href="/runs/41"]`).Length() != 1 {
		t.Error("a cut output links to the run's page")
	}
	if got := byTestID(t, doc, "page-older").AttrOr("href", ""); got != l.Older {
		t.Errorf("older = %q", got)
	}
}

func TestEmptyStatesSayWhatToDo(t *testing.T) {
	t.Parallel()
	runs := parse(t, RunsTable(RunsList{PollURL: "/runs/table"}))
	if !strings.Contains(byTestID(t, runs, "runs-empty").Text(), "Run now") {
		t.Error("an empty runs table explains where runs come from")
	}
	jobs := parse(t, JobsTable(JobsList{}))
	if byTestID(t, jobs, "jobs-empty").Find(`a[href="/jobs/new"]`).Length() != 1 {
		t.Error("an empty job list links to the form")
	}
	filtered := parse(t, JobsTable(JobsList{Filter: JobsFilter{Q: "zzz"}}))
	if !strings.Contains(byTestID(t, filtered, "jobs-empty").Text(), "No jobs match") {
		t.Error("a filtered empty list says nothing matched")
	}
	home := parse(t, HomeStatsPanel(HomeStats{}))
	byTestID(t, home, "home-empty")
	byTestID(t, home, "chart-empty")
}

func TestJobRowHasEveryAction(t *testing.T) {
	t.Parallel()
	next := testNow.Add(time.Hour)
	r := JobRow{ID: 7, Name: "Nightly", Type: "ping", Summary: "GET https://example.com", Cron: "30 2 * * *",
		Words: "At 02:30, every day", Timezone: "UTC", NextRun: NewMoment(&next, testNow, nil), LastStatus: "completed"}
	doc := parse(t, JobsTable(JobsList{Rows: []JobRow{r}, Back: "/jobs?q=nig"}))
	row := byTestID(t, doc, "job-row")
	if row.AttrOr("id", "") != "job-7" {
		t.Errorf("row id = %q", row.AttrOr("id", ""))
	}
	run := byTestID(t, doc, "run-now")
	form := run.Closest("form")
	if form.AttrOr("action", "") != "/jobs/7/run" || form.AttrOr("hx-post", "") != "/jobs/7/run" {
		t.Errorf("run now posts to %q and %q", form.AttrOr("action", ""), form.AttrOr("hx-post", ""))
	}
	if got := form.Closest("tbody").AttrOr("hx-target", ""); got != "closest tr" {
		t.Errorf("the row actions' answers replace %q, want their row", got)
	}
	if got := run.AttrOr("aria-describedby", ""); got != "job-7-name" || doc.Find("#job-7-name").Text() != "Nightly" {
		t.Errorf("run now is described by %q", got)
	}
	if got := form.Find(`input[name="back"]`).AttrOr("value", ""); got != "/jobs?q=nig" {
		t.Errorf("back = %q", got)
	}
	byTestID(t, doc, "pause")
	if got := byTestID(t, doc, "edit").AttrOr("href", ""); got != "/jobs/7/edit" {
		t.Errorf("edit = %q", got)
	}
	if got := byTestID(t, doc, "clone").AttrOr("href", ""); got != "/jobs/new?from=7" {
		t.Errorf("clone = %q", got)
	}
	if got := byTestID(t, doc, "delete").AttrOr("href", ""); got != "/jobs/7/delete?back=%2Fjobs%3Fq%3Dnig" {
		t.Errorf("delete = %q", got)
	}
	paused := parse(t, JobRowView(JobRow{ID: 8, Name: "Off", Paused: true}, "/jobs"))
	byTestID(t, paused, "resume")
	byTestID(t, paused, "job-paused")
}

func TestDeleteDialogSaysWhatWillBeDeleted(t *testing.T) {
	t.Parallel()
	doc := parse(t, DeleteDialog(DeleteConfirm{ID: 7, Name: "Nightly", Runs: 1234, Back: "/jobs"}))
	what := byTestID(t, doc, "delete-what").Text()
	if !strings.Contains(what, "1,234 runs") {
		t.Errorf("delete-what = %q", what)
	}
	if byTestID(t, doc, "confirm-delete").Closest("form").AttrOr("action", "") != "/jobs/7/delete" {
		t.Error("the confirmation posts to the delete action")
	}
	capped := parse(t, DeleteDialog(DeleteConfirm{ID: 7, Name: "Nightly", Runs: 10000, RunsCapped: true}))
	if !strings.Contains(byTestID(t, capped, "delete-what").Text(), "more than 10,000 runs") {
		t.Error("a capped count says more than")
	}
}

func TestNewChartScalesToTheBusiestHour(t *testing.T) {
	t.Parallel()
	var completed, failed [24]int64
	completed[23], failed[23] = 75, 25
	completed[0] = 1
	start := time.Date(2026, 3, 27, 11, 0, 0, 0, time.UTC)
	c := NewChart(start, completed, failed)
	if c.Max != 100 || c.Completed != 76 || c.Failed != 25 {
		t.Fatalf("max %d, completed %d, failed %d", c.Max, c.Completed, c.Failed)
	}
	last := c.Bars[23]
	if last.CompletedH+last.FailedH != chartPlot || last.FailedY != 0 {
		t.Errorf("the busiest hour fills the plot: %+v", last)
	}
	if c.Bars[0].CompletedH != 1 {
		t.Errorf("a small count stays visible: %+v", c.Bars[0])
	}
	labels := []string{}
	for _, tk := range c.Ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "12:00 18:00 00:00 06:00" {
		t.Errorf("ticks = %v", labels)
	}
	doc := parse(t, HomeStatsPanel(HomeStats{Totals: Totals{Jobs: 3, Completed: 76, Failed: 20, Retrying: 5}, Chart: c}))
	if n := byTestID(t, doc, "chart-svg").Find("rect.chart-failed").Length(); n != 1 {
		t.Errorf("%d failed bars", n)
	}
	if got := byTestID(t, doc, "total-failed").Text(); got != "20" {
		t.Errorf("total-failed = %q", got)
	}
	byTestID(t, doc, "total-retrying")
}
