package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// activeKey is a JavaScript expression: the data-key of the focused element, or its tag name.
const activeKey = `(document.activeElement.getAttribute("data-key") || document.activeElement.tagName)`

// swapsDone is a JavaScript condition: htmx has settled every swap, so that new content is
// wired up (htmx wires it 20 ms after the swap; a key pressed before goes to the plain form).
const swapsDone = ` && !document.querySelector(".htmx-swapping, .htmx-settling, .htmx-added")`

// focusRingJS checks the focused element's ring: a solid outline at least 2 px wide whose colour
// has a contrast of at least 3:1 against the page's background (WCAG 2.4.11 and 1.4.11). It returns
// what is wrong, or "". The body has the focus when Tab has left a modal dialog for the browser's own
// controls, as Chromium lets it; nothing on the page is then focused.
const focusRingJS = `(function () {
	var a = document.activeElement, cs = getComputedStyle(a);
	if (a === document.body) { return ""; }
	function rgb(c) { return c.match(/[\d.]+/g).slice(0, 3).map(Number); }
	function lum(c) {
		return c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
			.reduce(function (s, v, i) { return s + v * [0.2126, 0.7152, 0.0722][i]; }, 0);
	}
	var bg = getComputedStyle(document.body).backgroundColor, ring = cs.outlineColor;
	var l1 = lum(rgb(ring)), l2 = lum(rgb(bg)), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
	var name = a.getAttribute("data-testid") || a.tagName;
	if (cs.outlineStyle !== "solid" || parseFloat(cs.outlineWidth) < 2) { return name + " has no solid focus ring (" + cs.outline + ")"; }
	if (ratio < 3) { return name + "'s focus ring " + ring + " is " + ratio.toFixed(2) + ":1 against " + bg; }
	return "";
})()`

// jobRow selects a job's row in the jobs list.
func jobRow(id int64) string { return fmt.Sprintf(`[data-testid="job-row"][data-job-id="%d"]`, id) }

// checkFocusAfterActions presses Pause, Resume and Run now in the jobs list, by mouse and by
// keyboard: each answer replaces the row, and the focus must stay on the control that was pressed
// or on the one that took its place.
func checkFocusAfterActions(t *testing.T, b *browser, d realisticData) {
	b.open(t, "/jobs")
	row := jobRow(d.slackJob)
	b.do(t, "press Pause in the list", chromedp.Click(chromedp.CSS(row+` [data-testid="pause"]`)))
	b.waitUntil(t, 5*time.Second, "Resume in the place of Pause", `!!document.querySelector(`+quoteJS(row+` [data-testid="resume"]`)+`)`+swapsDone)
	toggle := fmt.Sprintf("job-%d-toggle", d.slackJob)
	if got := js[string](t, b, activeKey); got != toggle {
		t.Errorf("after Pause the focus is on %q, want the row's Resume button (%s)", got, toggle)
	}
	b.do(t, "press Enter on Resume", chromedp.KeyEvent(kb.Enter))
	b.waitUntil(t, 5*time.Second, "Pause in the place of Resume", `!!document.querySelector(`+quoteJS(row+` [data-testid="pause"]`)+`)`+swapsDone)
	if got := js[string](t, b, activeKey); got != toggle {
		t.Errorf("after Resume the focus is on %q, want the row's Pause button (%s)", got, toggle)
	}
	b.do(t, "press Run now in the list", chromedp.Click(chromedp.CSS(row+` [data-testid="run-now"]`)))
	b.waitUntil(t, 5*time.Second, "the message that the run is queued",
		`(document.querySelector('[data-testid="flash"]') || {textContent: ""}).textContent.indexOf("queued") >= 0`)
	if got, want := js[string](t, b, activeKey), fmt.Sprintf("job-%d-run", d.slackJob); got != want {
		t.Errorf("after Run now the focus is on %q, want the row's Run now button (%s)", got, want)
	}
}

// checkDeleteDialog opens the delete dialog from a row's menu: it must be modal (Tab never reaches
// the page behind it), and closing it with Escape or Cancel gives the focus back to Delete.
func checkDeleteDialog(t *testing.T, b *browser, d realisticData) {
	b.open(t, "/jobs")
	row := jobRow(d.emailJob)
	deleteLink := row + ` [data-testid="delete"]`
	for _, close := range []struct {
		how    string
		action chromedp.Action[chromedp.Void]
	}{
		{"Escape", chromedp.KeyEvent(kb.Escape)},
		{"Cancel", chromedp.Click(testid("delete-cancel"))},
	} {
		b.do(t, "open the row's menu and press Delete",
			chromedp.Click(chromedp.CSS(row+` [data-testid="more"] summary`)),
			chromedp.WaitVisible(chromedp.CSS(deleteLink)),
			chromedp.Click(chromedp.CSS(deleteLink)),
		)
		b.waitUntil(t, 5*time.Second, "the delete dialog, open as a modal",
			`(document.querySelector('[data-testid="delete-dialog"]') || {matches: function () { return false; }}).matches(":modal")`)
		for i := 1; i <= 4; i++ {
			b.do(t, "press Tab", chromedp.KeyEvent(kb.Tab))
			if ring := js[string](t, b, focusRingJS); ring != "" {
				t.Errorf("after Tab %d: %s", i, ring)
			}
			outside := js[string](t, b, `(function () { var a = document.activeElement;
				return a && a !== document.body && !a.closest("dialog") ? (a.getAttribute("data-testid") || a.tagName) : ""; })()`)
			if outside != "" {
				t.Fatalf("Tab %d left the modal dialog for %s behind it", i, outside)
			}
		}
		b.do(t, "close the dialog with "+close.how, close.action)
		b.waitUntil(t, 5*time.Second, "the dialog to close", `!document.querySelector('[data-testid="delete-dialog"]')`)
		if !js[bool](t, b, `document.activeElement === document.querySelector(`+quoteJS(deleteLink)+`)`) {
			t.Errorf("after %s the focus is on %s, want the Delete that opened the dialog", close.how, js[string](t, b, activeKey))
		}
		b.do(t, "close the menu", chromedp.KeyEvent(kb.Escape))
	}
}

// checkJobsListRefreshes makes a job and runs it through the API while the jobs list is open: the
// new row and then its last run's status must show without a reload.
func checkJobsListRefreshes(t *testing.T, b *browser, app *testApp) {
	b.open(t, "/jobs")
	b.markPage(t)
	api := app.forTest(t)
	job := api.createJob(map[string]any{"name": "Ping the dashboard itself", "type": "ping", "cron": "0 0 1 1 *",
		"payload": map[string]any{"url": app.URL + "/healthz"}})
	row := jobRow(job.ID)
	b.waitUntil(t, 15*time.Second, "the new job's row", `!!document.querySelector(`+quoteJS(row)+`)`)
	if code := api.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, nil); code != http.StatusAccepted {
		t.Fatalf("run the job: status %d", code)
	}
	b.waitUntil(t, 20*time.Second, "the row's last run to say completed",
		`(document.querySelector(`+quoteJS(row+` [data-testid="run-status"]`)+`) || {dataset: {}}).dataset.status === "completed"`)
	if !b.samePage(t) {
		t.Error("the jobs list was reloaded; it should refresh its rows in place")
	}
}

// checkRunsJobPicker filters the runs page by a job's name, as a person types it: picking the
// suggestion puts the job's id in the URL and shows that job's runs only.
func checkRunsJobPicker(t *testing.T, b *browser, app *testApp, d realisticData) {
	b.open(t, "/runs")
	b.markPage(t)
	b.do(t, "type part of the long job's name", chromedp.SendKeys(testid("runs-job-filter"), "billing API in eu"))
	option := fmt.Sprintf(`#runs-job-options option[data-id="%d"]`, d.longJob)
	b.waitUntil(t, 5*time.Second, "the long job among the suggestions", `!!document.querySelector(`+quoteJS(option)+`)`)
	// Picking a suggestion of a datalist puts its value in the field and fires input, as here.
	js[chromedp.Void](t, b, `(function () { var f = document.querySelector('[data-testid="runs-job-filter"]');
		f.value = document.querySelector(`+quoteJS(option)+`).value; f.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	want := fmt.Sprintf("job_id=%d", d.longJob)
	b.waitUntil(t, 5*time.Second, "the URL to name the job by id and the table to show its runs",
		`location.search.indexOf(`+quoteJS(want)+`) >= 0 && !!document.querySelector('[data-testid="runs-job"]')`)
	if got := get(t, b, "read whose runs", chromedp.Text(testid("runs-job"))); !strings.Contains(got, longName[:40]) {
		t.Errorf("the runs page shows %q, want the runs of %q", got, longName)
	}
	// The long job's schedule may have made a run since the setup: every run shown must be its own.
	shown := js[[]string](t, b, `Array.from(document.querySelectorAll('[data-testid="run-row"]'), function (r) { return r.dataset.runId; })`)
	if len(shown) == 0 {
		t.Error("no runs shown; the long job has one at least")
	}
	api := app.forTest(t)
	for _, id := range shown {
		var run apiRun
		if api.call(http.MethodGet, "/api/runs/"+id, nil, &run); run.JobID != d.longJob {
			t.Errorf("run %s of job %d is shown among the long job's (%d)", id, run.JobID, d.longJob)
		}
	}
	if !b.samePage(t) {
		t.Error("filtering reloaded the page; it should swap the table in place")
	}
}

// switchProxy stands in front of the app and can play dead: while down, it drops every connection
// without an answer, as a stopped server or a lost network does.
type switchProxy struct {
	*httptest.Server
	down atomic.Bool
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{}
	forward := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.down.Load() {
			forward.ServeHTTP(w, r)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// checkConnectionState watches the runs page while Cronflow stops answering and comes back: the
// page must say that it did not answer, and stop saying so once its refreshes succeed again.
func checkConnectionState(t *testing.T, b *browser, app *testApp) {
	proxy := newSwitchProxy(t, app.URL)
	// The refreshes that fail while the proxy plays dead are the point of this test; htmx logs them.
	b.allow(func(e *log.Entry) bool { return strings.HasPrefix(e.URL, proxy.URL+"/") })
	before := len(b.consoleProblems())
	defer b.forget(before, func(p string) bool {
		return strings.HasPrefix(p, "console.error: htmx:sendError") || strings.HasPrefix(p, "console.error: htmx:afterRequest")
	})
	resp := get(t, b, "open the runs page through the proxy", chromedp.NavigateResponse(proxy.URL+"/runs"))
	if resp.Status != 200 {
		t.Fatalf("the runs page through the proxy: status %d", resp.Status)
	}
	proxy.down.Store(true)
	b.waitUntil(t, 10*time.Second, "the page to say Cronflow did not answer",
		`(document.querySelector('[data-testid="connection-problem"]') || {textContent: ""}).textContent.indexOf("did not answer") >= 0`)
	proxy.down.Store(false)
	b.waitUntil(t, 10*time.Second, "the connection problem to clear once the refreshes succeed again",
		`document.getElementById("connection").textContent.trim() === ""`)
}
