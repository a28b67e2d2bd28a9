package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Bulk actions (issue 27): ticking rows, the confirmation, and "select all N matching".

// bulkData are the jobs the bulk flows act on: two tagged jobs whose runs fail for good (their
// URL answers 500), and one untagged job that must stay as it is.
type bulkData struct {
	tagged   [2]int64
	untagged int64
}

// makeBulkData makes the jobs and a failed-for-good run of each tagged one.
func makeBulkData(t *testing.T, app *testApp) bulkData {
	t.Helper()
	var d bulkData
	failing := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	for i := range d.tagged {
		d.tagged[i] = app.createJob(map[string]any{"name": fmt.Sprintf("Sync the ledger, shard %d", i+1), "type": "ping",
			"cron": "0 0 1 1 *", "max_retries": 0, "tags": []string{"bulk-test", "team:ledger"},
			"description": "Copies the day's entries to the ledger.", "payload": map[string]any{"url": failing.URL + "/ledger/sync"}}).ID
	}
	d.untagged = app.createJob(map[string]any{"name": "Untouched by bulk actions", "type": "ping", "cron": "0 0 1 1 *",
		"payload": map[string]any{"url": app.URL + "/healthz"}}).ID
	for _, id := range d.tagged {
		var run apiRun
		if code := app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", id), nil, &run); code != http.StatusAccepted {
			t.Fatalf("run job %d: status %d", id, code)
		}
		app.waitRun(run.ID, "permanently_failed")
	}
	return d
}

// checkBulkJobs ticks the two tagged jobs and pauses them through the confirmation, then resumes
// them, in every screen mode; a cancelled confirmation changes nothing.
func checkBulkJobs(t *testing.T, b *browser, app *testApp, d bulkData) {
	defer b.do(t, "back to a light desktop", b.emulate(screenModes[0]))
	for i, m := range screenModes {
		action, want, verb := "pause", "Paused 2 jobs.", "Pause"
		if i%2 == 1 {
			action, want, verb = "resume", "Resumed 2 jobs.", "Resume"
		}
		b.open(t, "/jobs?tag=bulk-test")
		b.do(t, "emulate "+m.name, b.emulate(m))
		tick := func() {
			for _, id := range d.tagged {
				b.do(t, fmt.Sprintf("tick job %d", id), chromedp.Click(chromedp.CSS(jobRow(id)+` [data-testid="job-select"]`)))
			}
			b.do(t, "press "+verb, chromedp.Click(testid("bulk-"+action)))
			b.waitUntil(t, 5*time.Second, "the confirmation, open as a modal",
				`(document.querySelector('[data-testid="bulk-dialog"]') || {matches: function () { return false; }}).matches(":modal")`)
		}
		tick()
		if title := get(t, b, "read the question", chromedp.Text(testid("bulk-title"))); title != verb+" 2 jobs?" {
			t.Errorf("%s: the confirmation asks %q, want %q", m.name, title, verb+" 2 jobs?")
		}
		if i == 0 { // Cancel first: nothing may happen without the confirmation.
			b.do(t, "cancel", chromedp.Click(testid("bulk-cancel")))
			b.waitUntil(t, 5*time.Second, "the dialog to close", `!document.querySelector('[data-testid="bulk-dialog"]')`)
			var job struct {
				Paused bool `json:"paused"`
			}
			app.call(http.MethodGet, fmt.Sprintf("/api/jobs/%d", d.tagged[0]), nil, &job)
			if job.Paused {
				t.Fatal("the job was paused although the confirmation was cancelled")
			}
			b.open(t, "/jobs?tag=bulk-test")
			tick()
		}
		b.follow(t, "confirm", chromedp.Click(testid("bulk-confirm-button")))
		if flash := get(t, b, "read the flash", chromedp.Text(testid("flash"))); !strings.Contains(flash, want) {
			t.Errorf("%s: the flash says %q, want %q", m.name, flash, want)
		}
		paused := js[int](t, b, `document.querySelectorAll('[data-testid="job-row"] [data-testid="job-paused"]').length`)
		if wantPaused := map[string]int{"pause": 2, "resume": 0}[action]; paused != wantPaused {
			t.Errorf("%s: %d rows say Paused after %s, want %d", m.name, paused, action, wantPaused)
		}
	}
	var other struct {
		Paused bool `json:"paused"`
	}
	app.call(http.MethodGet, fmt.Sprintf("/api/jobs/%d", d.untagged), nil, &other)
	if other.Paused {
		t.Error("the untagged job was paused too")
	}
}

// checkBulkRuns retries every failed run of the tagged jobs through "select all N matching" and
// the confirmation, at both widths.
func checkBulkRuns(t *testing.T, b *browser, app *testApp, d bulkData) {
	defer b.do(t, "back to a light desktop", b.emulate(screenModes[0]))
	for _, m := range []screenMode{screenModes[0], screenModes[3]} {
		const path = "/runs?tag=bulk-test&status=permanently_failed"
		b.open(t, path)
		b.do(t, "emulate "+m.name, b.emulate(m))
		if label := get(t, b, "read select all", chromedp.Text(chromedp.CSS(`label:has([data-testid="select-all-matching"])`))); !strings.Contains(label, "Select all 2 matching") {
			t.Errorf("%s: the select-all label says %q", m.name, label)
		}
		b.do(t, "select all matching and press Retry", chromedp.Click(testid("select-all-matching")), chromedp.Click(testid("bulk-retry")))
		b.waitUntil(t, 5*time.Second, "the retry confirmation", `!!document.querySelector('[data-testid="bulk-dialog"][open]')`)
		if title := get(t, b, "read the question", chromedp.Text(testid("bulk-title"))); title != "Retry 2 runs?" {
			t.Errorf("%s: the confirmation asks %q", m.name, title)
		}
		if what := get(t, b, "read what happens", chromedp.Text(testid("bulk-what"))); !strings.Contains(what, "sends its webhook or email again") {
			t.Errorf("%s: the confirmation says %q", m.name, what)
		}
		b.follow(t, "confirm", chromedp.Click(testid("bulk-confirm-button")))
		if flash := get(t, b, "read the flash", chromedp.Text(testid("flash"))); !strings.Contains(flash, "Queued again 2 runs.") {
			t.Errorf("%s: the flash says %q", m.name, flash)
		}
		for _, id := range d.tagged { // each retried run fails for good again, for the next round
			runs := app.runs(id)
			app.waitRun(runs[0].ID, "permanently_failed")
		}
	}
}
