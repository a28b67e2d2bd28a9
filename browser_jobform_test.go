package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
)

// TestBrowserJobForm fills the job form (issue 27) as a person would, in every screen mode: a
// preset schedule whose words and next runs follow the typing, header rows added and removed, a
// test request whose outcome shows under its button (and stores no run), "Start paused", and the
// job created and shown. It then looks at the form with a test outcome and with its problems shown
// (no overflow, no axe-core violation).
func TestBrowserJobForm(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	var mu sync.Mutex
	var teams []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		teams = append(teams, r.Header.Get("X-Team")+"|"+r.Header.Get("X-Dropped"))
		mu.Unlock()
		_, _ = io.WriteString(w, "pong from the target")
	}))
	t.Cleanup(target.Close)
	app := startApp(t, "serve", testEnv(t)) // no admin password: on loopback, everyone is an admin
	b := newBrowser(t, chromium, app.URL)
	b.allow(func(e *log.Entry) bool { // the form sent back with its problems, on purpose
		return e.Source == log.EntrySourceNetwork && e.URL == app.URL+"/jobs" && strings.Contains(e.Text, "422")
	})

	for i, m := range screenModes {
		t.Run(m.name, func(t *testing.T) {
			b.do(t, "emulate "+m.name, b.emulate(m))
			b.open(t, "/jobs/new")
			b.markPage(t)
			name := "Form " + m.name
			b.do(t, "say what the job does, then name it",
				chromedp.WaitVisible(chromedp.CSS(`#task-fields[data-type="ping"] [data-testid="payload-url-input"]`)),
				clearField(`[data-testid="payload-url-input"]`),
				chromedp.SendKeys(testid("payload-url-input"), target.URL+"/health"),
				chromedp.SendKeys(testid("name-input"), name),
			)
			if js[bool](t, b, `!!(document.querySelector('[data-testid="task-type"]').compareDocumentPosition(document.querySelector('[data-testid="schedule-modes"]')) & Node.DOCUMENT_POSITION_PRECEDING)`) {
				t.Error("the schedule comes before the task: what should come before when")
			}

			b.do(t, "choose every N minutes and type 30",
				chromedp.Click(testid("mode-minutes")),
				chromedp.WaitVisible(testid("every_minutes-input")),
				clearField(`[data-testid="every_minutes-input"]`),
				chromedp.SendKeys(testid("every_minutes-input"), "30"),
			)
			b.waitUntil(t, 5*time.Second, "the summary to say every 30 minutes with 5 next runs",
				`(document.querySelector('[data-testid="schedule-words"]') || {}).textContent === "Every 30 minutes"`+
					` && document.querySelectorAll('[data-testid="next-run"]').length === 5`)
			if js[bool](t, b, `!!document.querySelector('[data-testid="hour-input"]').offsetParent`) {
				t.Error("the hour field shows for every N minutes")
			}

			b.waitUntil(t, 5*time.Second, "one empty header row with Add header", `document.querySelectorAll('[data-testid="header-item"]').length === 1`+
				` && !document.querySelector('[data-testid="add-header"]').hidden`)
			b.do(t, "fill a header, add two rows, fill one and remove it",
				chromedp.SendKeys(chromedp.CSS(`[data-testid="header-item"]:nth-of-type(1) [data-testid="header-name"]`), "X-Team"),
				chromedp.SendKeys(chromedp.CSS(`[data-testid="header-item"]:nth-of-type(1) [data-testid="header-value"]`), "ops"),
				chromedp.Click(testid("add-header")),
				chromedp.Click(testid("add-header")),
				chromedp.SendKeys(chromedp.CSS(`[data-testid="header-item"]:nth-of-type(2) [data-testid="header-name"]`), "X-Dropped"),
				chromedp.SendKeys(chromedp.CSS(`[data-testid="header-item"]:nth-of-type(2) [data-testid="header-value"]`), "yes"),
				chromedp.Click(chromedp.CSS(`[data-testid="header-item"]:nth-of-type(2) [data-testid="remove-header"]`)),
			)
			if n := js[int](t, b, `document.querySelectorAll('[data-testid="header-item"]').length`); n != 2 {
				t.Errorf("%d header rows after adding two and removing one, want 2", n)
			}

			mu.Lock()
			teams = nil
			mu.Unlock()
			b.do(t, "send a test request", chromedp.Click(testid("test-request")))
			b.waitUntil(t, 10*time.Second, "the test's outcome under its button",
				`(document.querySelector('[data-testid="test-result"]') || {dataset: {}}).dataset.ok === "true"`)
			if got := get(t, b, "read the test's status", chromedp.Text(testid("test-status"))); got != "HTTP 200 OK" {
				t.Errorf("the test says %q, want HTTP 200 OK", got)
			}
			if got := get(t, b, "read the answer", chromedp.Text(testid("test-output"))); got != "pong from the target" {
				t.Errorf("the test shows the answer %q", got)
			}
			mu.Lock()
			if len(teams) != 1 || teams[0] != "ops|" {
				t.Errorf("the target saw X-Team|X-Dropped %q, want one request with ops and no removed header", teams)
			}
			mu.Unlock()
			if runs := js[float64](t, b, `(function () { var x = new XMLHttpRequest(); x.open("GET", "/api/stats", false); x.send();
				var r = JSON.parse(x.responseText).runs; return Object.keys(r).reduce(function (s, k) { return s + r[k]; }, 0); })()`); runs != 0 {
				t.Errorf("%v runs stored after a test request, want none", runs)
			}
			if !b.samePage(t) {
				t.Error("the test request reloaded the page")
			}

			b.do(t, "tick Start paused", chromedp.Click(testid("paused-input")))
			b.follow(t, "create the job", chromedp.Click(testid("submit")))
			mm := regexp.MustCompile(`^/jobs/(\d+)$`).FindStringSubmatch(b.path(t))
			if mm == nil {
				t.Fatalf("after creating the job the browser is on %q", b.path(t))
			}
			if got := get(t, b, "read the job's cron", chromedp.Text(testid("job-cron"))); got != "*/30 * * * *" {
				t.Errorf("the job's cron is %q, want */30 * * * *", got)
			}
			if paused := js[bool](t, b, fmt.Sprintf(`(function () { var x = new XMLHttpRequest(); x.open("GET", "/api/jobs/%s", false); x.send();
				return JSON.parse(x.responseText).paused; })()`, mm[1])); !paused {
				t.Error("the job started paused was created active")
			}
			if i == 0 {
				b.open(t, "/jobs")
				b.do(t, "see the job in the list", chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-row"][data-job-id="`+mm[1]+`"]`)))
			}
		})
	}

	t.Run("TheFormFitsEveryScreenAndPassesAxe", func(t *testing.T) {
		for _, p := range jobFormInspections(b, target.URL) {
			b.inspect(t, p)
		}
	})
	b.open(t, "/jobs/new") // with the policy in force again
	for _, p := range b.consoleProblems() {
		t.Errorf("console: %s", p)
	}
}

// jobFormInspections are the job form's states the inspection looks at: with a preset, header rows
// and a test's outcome, and sent back with its problems.
func jobFormInspections(b *browser, targetURL string) []inspectedPage {
	return []inspectedPage{
		{name: "job-form-tested", path: "/jobs/new", prepare: func(t *testing.T) {
			b.do(t, "choose a weekly schedule, a header and send a test request",
				clearField(`[data-testid="payload-url-input"]`),
				chromedp.SendKeys(testid("payload-url-input"), targetURL+"/health"),
				chromedp.Click(testid("mode-weekly")),
				chromedp.SendKeys(testid("hour-input"), "9"),
				chromedp.SendKeys(testid("minute-input"), "15"),
				chromedp.SendKeys(chromedp.CSS(`[data-testid="header-name"]`), "Authorization"),
				chromedp.SendKeys(chromedp.CSS(`[data-testid="header-value"]`), "Bearer a-long-token-value-that-must-fit-on-a-phone-0123456789abcdef"),
				chromedp.Click(testid("add-header")),
			)
			b.waitUntil(t, 5*time.Second, "the summary of the weekly schedule",
				`(document.querySelector('[data-testid="schedule-words"]') || {textContent: ""}).textContent.indexOf("09:15") >= 0`)
			b.do(t, "send the test", chromedp.Click(testid("test-request")))
			b.waitUntil(t, 10*time.Second, "the test's outcome", `!!document.querySelector('[data-testid="test-result"]')`)
		}},
		{name: "job-form-problems", path: "/jobs/new", prepare: func(t *testing.T) {
			b.do(t, "submit a bad monthly schedule and a bad URL",
				chromedp.Click(testid("mode-monthly")),
				clearField(`[data-testid="month_day-input"]`),
				chromedp.SendKeys(testid("month_day-input"), "32"),
				clearField(`[data-testid="payload-url-input"]`),
				chromedp.SendKeys(testid("payload-url-input"), "ftp://nope"),
				chromedp.Click(testid("submit")),
				chromedp.WaitVisible(testid("form-problems")),
			)
		}},
	}
}
