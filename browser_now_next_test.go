package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
)

// TestBrowserNowNextAndPhones drives what issue 27 added for what runs now and next, and for
// phones: the home page's "Running now" and "Next 24 hours", the job page's next runs and its
// backfill (preview, then confirm), and on a phone the folded navigation and filters and a run's
// card. Then it looks at the new pages and states in every screen mode (no overflow, no axe-core
// violation). SCREENSHOTS=dir saves them, as TestBrowserFlow does.
func TestBrowserNowNextAndPhones(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	target := newHeldTarget(t)
	app := startApp(t, "serve", testEnv(t))
	t.Cleanup(target.release) // before the app stops, which waits for the run in flight
	slow := app.createJob(map[string]any{"name": "Nightly warehouse export", "type": "ping", "cron": "30 2 * * *",
		"timezone": "Europe/Berlin", "max_retries": 0, "payload": map[string]any{"url": target.URL + "/export"}})
	hourly := app.createJob(map[string]any{"name": "Hourly invoice sync", "type": "ping", "cron": "0 * * * *",
		"timezone": "America/New_York", "max_retries": 0, "payload": map[string]any{"url": target.URL + "/sync"}})
	app.createJob(map[string]any{"name": "Queue depth check", "type": "ping", "cron": "*/15 * * * *",
		"max_retries": 0, "payload": map[string]any{"url": target.URL + "/depth"}})
	var run apiRun
	if code := app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", slow.ID), nil, &run); code != http.StatusAccepted {
		t.Fatalf("run now: status %d", code)
	}
	app.waitRun(run.ID, "running")
	b := newBrowser(t, chromium, app.URL)
	// The backfill form sent back with its problems answers 422, on purpose.
	b.allow(func(e *log.Entry) bool {
		return e.Source == log.EntrySourceNetwork && strings.Contains(e.URL, "/backfill?") && strings.Contains(e.Text, "422")
	})
	backfilled := func() int {
		n := 0
		for _, r := range app.runs(hourly.ID) {
			if r.Trigger == "backfill" {
				n++
			}
		}
		return n
	}

	t.Run("HomeShowsWhatRunsNowAndInTheNext24Hours", func(t *testing.T) {
		b.open(t, "/")
		b.do(t, "see the running run", chromedp.WaitVisible(testid("running-run")))
		if got := js[string](t, b, `document.querySelector('[data-testid="running-run-link"]').getAttribute("href")`); got != fmt.Sprintf("/runs/%d", run.ID) {
			t.Errorf("running run links to %q", got)
		}
		// 96 quarter-hourly, 24 hourly and 1 nightly slot: the first 50, then the rest counted.
		if n := js[int](t, b, `document.querySelectorAll('[data-testid="upcoming-run"]').length`); n != 50 {
			t.Errorf("%d upcoming slots shown, want 50", n)
		}
		if more := get(t, b, "read the rest", chromedp.Text(testid("upcoming-more"))); !strings.Contains(more, "71 more") {
			t.Errorf("the rest: %q, want 71 more", more)
		}
	})

	t.Run("TheJobPageListsTheNextRunsAndBackfillsOnlyAfterThePreview", func(t *testing.T) {
		b.open(t, fmt.Sprintf("/jobs/%d", hourly.ID))
		if n := js[int](t, b, `document.querySelectorAll('[data-testid="next-run"]').length`); n != 10 {
			t.Errorf("%d next runs, want 10", n)
		}
		// app.js writes the viewer's own time over the UTC one.
		b.waitUntil(t, 5*time.Second, "the viewer's time", `!!document.querySelector('time[data-viewer-time][data-done]')`)
		b.follow(t, "open the backfill", chromedp.Click(testid("job-backfill")))
		b.do(t, "choose a window of three hours in the job's zone",
			chromedp.SetValue(testid("backfill-from"), "2026-11-10T00:00"),
			chromedp.SetValue(testid("backfill-to"), "2026-11-10T03:00"))
		b.follow(t, "preview", chromedp.Click(testid("backfill-preview")))
		if got := get(t, b, "read the preview", chromedp.Text(testid("backfill-creates"))); got != "3 runs" {
			t.Errorf("the preview makes %q, want 3 runs", got)
		}
		if n := backfilled(); n != 0 {
			t.Fatalf("the preview made %d runs", n)
		}
		b.follow(t, "confirm", chromedp.Click(testid("backfill-submit")))
		if got := get(t, b, "read the message", chromedp.Text(testid("flash"))); !strings.Contains(got, "Backfill made 3 runs") {
			t.Errorf("after the backfill the page says %q", got)
		}
		if n := backfilled(); n != 3 {
			t.Errorf("%d runs after the backfill, want 3", n)
		}
		b.do(t, "see the backfill icons", chromedp.WaitVisible(chromedp.CSS(`[data-testid="run-trigger"][data-trigger="backfill"]`)))
	})

	t.Run("OnAPhoneTheMenuAndFiltersFoldAndARunIsACompactCard", func(t *testing.T) {
		defer b.do(t, "back to a desktop", b.emulate(screenModes[0]))
		for _, m := range screenModes {
			b.do(t, "emulate "+m.name, b.emulate(m))
			b.open(t, "/runs?error=refused")
			links := js[bool](t, b, `document.querySelector('[data-testid="nav-jobs"]').offsetParent !== null`)
			filters := js[bool](t, b, `document.querySelector('[data-testid="runs-filter"]').offsetParent !== null`)
			if links == m.phone || filters == m.phone {
				t.Errorf("%s: links shown %v, filters shown %v; want them folded on a phone only", m.name, links, filters)
			}
			if !m.phone {
				continue
			}
			if got := get(t, b, "read the filters' count", chromedp.Text(testid("filters-count"))); got != "(1)" {
				t.Errorf("%s: the Filters toggle says %q, want (1)", m.name, got)
			}
			b.do(t, "open the menu", chromedp.Click(testid("nav-toggle-label")), chromedp.WaitVisible(testid("nav-jobs")))
			b.do(t, "open the filters", chromedp.Click(testid("filters-toggle-label")), chromedp.WaitVisible(testid("runs-error-filter")))
			b.open(t, "/runs")
			if h := js[float64](t, b, `Math.max.apply(null, Array.from(document.querySelectorAll('[data-testid="run-row"]'), function (r) { return r.getBoundingClientRect().height; }))`); h > 200 {
				t.Errorf("%s: a run's card is %.0f px tall, want at most 200", m.name, h)
			}
		}
	})

	t.Run("TheNewPagesFitEveryScreenAndPassAxe", func(t *testing.T) {
		openMenus := func(t *testing.T) {
			js[bool](t, b, `(function () { document.querySelectorAll(".nav-toggle, .filters-toggle").forEach(function (c) { c.checked = true; }); return true; })()`)
		}
		for _, p := range []inspectedPage{
			{name: "now-home", path: "/"},
			{name: "now-job", path: fmt.Sprintf("/jobs/%d", hourly.ID)},
			{name: "now-backfill", path: fmt.Sprintf("/jobs/%d/backfill?from=2026-11-01T00:00&to=2026-11-02T00:00", hourly.ID)},
			{name: "now-backfill-problems", path: fmt.Sprintf("/jobs/%d/backfill?from=2026-11-02T00:00&to=2026-11-01T00:00", hourly.ID), status: 422},
			{name: "now-runs", path: "/runs"},
			{name: "now-runs-open", path: "/runs?error=refused", prepare: openMenus},
			{name: "now-jobs-open", path: "/jobs?state=active", prepare: openMenus},
		} {
			b.inspect(t, p)
		}
	})
}
