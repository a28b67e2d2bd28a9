package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/cronflow/cronflow/worker/workertest"
)

// heldTarget is the URL the job pings. It holds each request until it is released, so that the
// test sees the run in progress before it sees it completed.
type heldTarget struct {
	*httptest.Server
	hits    chan string
	release func()
}

func newHeldTarget(t *testing.T) *heldTarget {
	released := make(chan struct{})
	var once sync.Once
	tg := &heldTarget{hits: make(chan string, 16), release: func() { once.Do(func() { close(released) }) }}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case tg.hits <- r.URL.Path:
		default:
		}
		select {
		case <-released:
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(tg.Close)
	return tg
}

// TestBrowserFlow drives the dashboard in headless Chromium, as a person would: log in, fill the
// job form (with its live checks and its 422 answer), create a job, run it and watch its run
// complete without a reload; then look at every page in light, dark and phone sizes, and check
// that the console stayed clean under the strict CSP.
//
// SCREENSHOTS=screenshots saves every page in every mode as screenshots/{page}-{mode}.png (the
// folder is ignored by git); without it nothing is written.
func TestBrowserFlow(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	start := time.Now()
	const password = "browser-test-password"
	target := newHeldTarget(t)
	env := testEnv(t)
	env["CRONFLOW_ADMIN_USER"], env["CRONFLOW_ADMIN_PASSWORD"] = "admin", password
	app := startApp(t, "serve", env)
	t.Cleanup(target.release) // before the app stops, which waits for the run in flight
	data := seedRealisticData(t, app)
	b := newBrowser(t, chromium, app.URL)
	// The failed responses the flow causes on purpose: the job form sent back with 422, and the
	// page of a job that does not exist.
	const missing = "/jobs/987654321"
	b.allow(func(e *log.Entry) bool {
		return e.Source == log.EntrySourceNetwork && (e.URL == app.URL+"/jobs" && strings.Contains(e.Text, "422") ||
			e.URL == app.URL+missing && strings.Contains(e.Text, "404") ||
			e.URL == app.URL+"/jobs/import" && strings.Contains(e.Text, "422"))
	})
	t.Logf("app at %s, Chromium started after %s", app.URL, time.Since(start).Round(time.Millisecond))

	var jobID, runID string
	// Each step of the flow needs the one before.
	flow := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"JobsRedirectsToTheLoginPageAndLoggingInLandsBackOnJobs", func(t *testing.T) {
			b.open(t, "/jobs")
			u, err := url.Parse(b.path(t))
			if err != nil || u.Path != "/login" || u.Query().Get("next") != "/jobs" {
				t.Fatalf("/jobs without a session landed on %q, want /login?next=/jobs", b.path(t))
			}
			b.do(t, "fill the login form",
				chromedp.WaitVisible(testid("login-form")),
				chromedp.SendKeys(testid("login-username"), "admin"),
				chromedp.SendKeys(testid("login-password"), password),
			)
			b.follow(t, "log in", chromedp.Click(testid("login-submit")))
			if p := b.path(t); p != "/jobs" {
				t.Fatalf("after logging in the browser is on %q, want /jobs", p)
			}
			if h1 := get(t, b, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "Jobs" {
				t.Errorf("heading = %q, want Jobs", h1)
			}
			b.do(t, "see the logged-in navigation", chromedp.WaitVisible(testid("logout")))
		}},

		{"ChoosingATaskTypeSwapsInItsFieldsThroughHtmx", func(t *testing.T) {
			b.open(t, "/jobs/new")
			b.markPage(t)
			b.do(t, "see the ping task's URL field",
				chromedp.WaitVisible(chromedp.CSS(`#task-fields[data-type="ping"] [data-testid="payload-url-input"]`)))
			for _, tc := range []struct {
				typ    string
				fields []string
			}{
				{"email", []string{"payload-to-input", "payload-cc-input", "payload-bcc-input", "payload-subject-input", "payload-body-input"}},
				{"slack", []string{"payload-webhook_url-input", "payload-text-input"}},
				{"webhook", []string{"payload-url-input", "payload-body-input", "payload-sign-input", "payload-method-input",
					"payload-expect_status-input", "payload-expect_body-input"}},
			} {
				b.do(t, "choose "+tc.typ, choose(`[data-testid="task-type"]`, tc.typ))
				for _, f := range tc.fields {
					b.do(t, fmt.Sprintf("see the %s task's field %s", tc.typ, f),
						chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#task-fields[data-type=%q] [data-testid=%q]`, tc.typ, f))))
				}
				n := js[int](t, b, `document.querySelectorAll("#task-fields [data-testid$='-input']").length`)
				if n != len(tc.fields) {
					t.Errorf("the %s task shows %d fields, want %d (%v): the old task's fields stayed", tc.typ, n, len(tc.fields), tc.fields)
				}
			}
			if !b.samePage(t) {
				t.Error("choosing a task type reloaded the page; htmx should swap the fields in place")
			}
		}},

		{"ABadCronIsFlaggedLiveAndAgainOnSubmitWithTheInputKept", func(t *testing.T) {
			const bad = "61 * * * *"
			recordScheduleChecks(t, b)
			b.do(t, "type a bad cron in advanced mode",
				chromedp.Click(testid("mode-advanced")),
				chromedp.WaitVisible(testid("cron-input")),
				chromedp.SendKeys(testid("cron-input"), bad),
			)
			b.waitUntil(t, 5*time.Second, "the live schedule check of "+bad+" to flag the cron field",
				lastScheduleCheckIs(bad)+` && document.querySelector('[data-testid="cron-error"]').textContent.trim() !== ""`)
			live := get(t, b, "read the live error", chromedp.Text(testid("cron-error")))
			t.Logf("live check of %q: %q", bad, live)
			if strings.Contains(live, "above maximum") || !strings.Contains(live, "minute") {
				t.Errorf("the live error %q should name the minute field in words, not the parser's", live)
			}
			b.waitUntil(t, 5*time.Second, "the cron field to be marked invalid and the problem announced",
				`document.querySelector('[data-testid="cron-input"]').getAttribute("aria-invalid") === "true"`+
					` && document.querySelector('[data-testid="schedule-problems"]').textContent.indexOf("minute") >= 0`)
			if live := js[string](t, b, `document.querySelector('[data-testid="schedule-problems"]').getAttribute("aria-live")`); live == "" {
				t.Error("the schedule's problems are not in a live region")
			}

			b.do(t, "submit the form", chromedp.Click(testid("submit")))
			b.do(t, "see the form's problems", chromedp.WaitVisible(testid("form-problems")))
			b.waitUntil(t, 5*time.Second, "the summary of problems to take the focus",
				`document.activeElement === document.querySelector('[data-testid="form-problems"]')`)
			b.do(t, "follow the summary's link to the cron field",
				chromedp.Click(chromedp.CSS(`[data-testid="form-problem-link"][href="#field-cron"]`)))
			b.waitUntil(t, 5*time.Second, "the cron field to have the focus",
				`document.activeElement === document.querySelector('[data-testid="cron-input"]')`)
			if got := get(t, b, "read the cron field", chromedp.Value(testid("cron-input"))); got != bad {
				t.Errorf("after the 422 the cron field holds %q, want the typed %q", got, bad)
			}
			if msg := get(t, b, "read the cron error", chromedp.Text(testid("cron-error"))); strings.TrimSpace(msg) == "" {
				t.Error("after the 422 the cron field has no error next to it")
			}
			if !js[bool](t, b, `document.querySelector('[data-testid="mode-advanced"]').checked`) {
				t.Error("after the 422 the form is back in simple mode; the person chose advanced")
			}
			if got := get(t, b, "read the task type", chromedp.Value(testid("task-type"))); got != "webhook" {
				t.Errorf("after the 422 the task type is %q, want the chosen webhook", got)
			}
			if p, _, _ := strings.Cut(b.path(t), "#"); p != "/jobs/new" || !b.samePage(t) {
				t.Errorf("the 422 should be swapped into the page in place; the browser is on %q (same page: %v)", p, b.samePage(t))
			}
		}},

		{"ASubMinuteScheduleInAZoneTypedAsACityPreviewsToTheSecondInThatZone", func(t *testing.T) {
			const every10s = "*/10 * * * * *"
			recordScheduleChecks(t, b) // the 422 swapped in a new form
			b.do(t, "type a schedule with a seconds field and a city for the zone",
				clearField(`[data-testid="cron-input"]`),
				chromedp.SendKeys(testid("cron-input"), every10s),
				clearField(`[data-testid="timezone-input"]`),
				chromedp.SendKeys(testid("timezone-input"), "berlin"),
			)
			b.waitUntil(t, 5*time.Second, "the preview of "+every10s+" in Europe/Berlin",
				`(window.__scheduleChecks || []).length > 0 && document.querySelectorAll('[data-testid="next-run"]').length === 5`+
					` && document.querySelector('[data-testid="schedule-preview"]').textContent.indexOf("Europe/Berlin") >= 0`)
			next := js[[]string](t, b, `Array.from(document.querySelectorAll('[data-testid="next-run"] td:first-child'), function (td) { return td.textContent; })`)
			seen := map[string]bool{}
			for _, n := range next {
				if seen[n] || !regexp.MustCompile(`\d\d:\d\d:\d\d Europe/Berlin$`).MatchString(n) {
					t.Errorf("next runs %q: each should be a different time to the second, in Europe/Berlin", next)
					break
				}
				seen[n] = true
			}
			if msg := get(t, b, "read the zone's problem", chromedp.Text(testid("timezone-error"))); strings.TrimSpace(msg) != "" {
				t.Errorf("the zone typed as a city is refused: %q", msg)
			}
		}},

		{"AFixedCronAndAPingCreateTheJobAndLandOnItsPage", func(t *testing.T) {
			const good = "0 3 * * *"
			recordScheduleChecks(t, b)
			b.do(t, "fix the cron",
				clearField(`[data-testid="cron-input"]`),
				chromedp.SendKeys(testid("cron-input"), good),
			)
			b.waitUntil(t, 5*time.Second, "the live schedule check of "+good+" to clear the error and show the schedule",
				lastScheduleCheckIs(good)+` && document.querySelector('[data-testid="cron-error"]').textContent.trim() === ""`+
					` && !!document.querySelector('[data-testid="schedule-words"]')`)
			b.do(t, "choose ping", choose(`[data-testid="task-type"]`, "ping"))
			b.do(t, "type the target's URL",
				chromedp.WaitVisible(chromedp.CSS(`#task-fields[data-type="ping"] [data-testid="payload-url-input"]`)),
				clearField(`[data-testid="payload-url-input"]`),
				chromedp.SendKeys(testid("payload-url-input"), target.URL+"/health"),
			)
			b.follow(t, "create the job", chromedp.Click(testid("submit")))
			m := regexp.MustCompile(`^/jobs/(\d+)$`).FindStringSubmatch(b.path(t))
			if m == nil {
				t.Fatalf("after creating the job the browser is on %q, want /jobs/{id}", b.path(t))
			}
			jobID = m[1]
			if got := get(t, b, "read the job's cron", chromedp.Text(testid("job-cron"))); got != good {
				t.Errorf("the job page shows cron %q, want %q", got, good)
			}
			if got := get(t, b, "read the job's id", chromedp.AttributeValue(testid("job-detail"), "data-job-id")); got.Value != jobID {
				t.Errorf("the job page shows job %q, want %s", got.Value, jobID)
			}
			if !strings.Contains(get(t, b, "read the job's settings", chromedp.Text(testid("job-detail"))), target.URL+"/health") {
				t.Error("the job page does not show the URL the job pings")
			}
		}},

		{"RunNowShowsTheRunGoFromRunningToCompletedWithoutAReload", func(t *testing.T) {
			b.markPage(t)
			b.do(t, "press Run now", chromedp.Click(chromedp.CSS(`#job-detail [data-testid="run-now"]`)))
			b.waitUntil(t, 5*time.Second, "the flash message that the run is queued",
				`(document.querySelector('[data-testid="flash"]') || {textContent: ""}).textContent.indexOf("queued") >= 0`)
			b.waitUntil(t, 5*time.Second, "the run in the job's runs table",
				`!!document.querySelector('#runs-table [data-testid="run-row"]')`)
			runID = get(t, b, "read the run's id", chromedp.AttributeValue(chromedp.CSS(`#runs-table [data-testid="run-row"]`), "data-run-id")).Value
			select {
			case <-target.hits:
			case <-time.After(15 * time.Second):
				t.Fatal("the job's run never pinged the target")
			}
			badge := `(document.querySelector('#runs-table [data-testid="run-row"][data-run-id="` + runID + `"] [data-testid="run-status"]') || {dataset: {}}).dataset.status`
			b.waitUntil(t, 10*time.Second, "run "+runID+"'s badge to say running while the target holds its answer",
				badge+` === "running"`)
			target.release()
			b.waitUntil(t, 10*time.Second, "run "+runID+"'s badge to say completed", badge+` === "completed"`)
			if !b.samePage(t) {
				t.Fatal("the run's badge turned completed, but the page was reloaded: the runs table should poll in place")
			}
			if p := b.path(t); p != "/jobs/"+jobID {
				t.Errorf("after Run now the browser is on %q, want /jobs/%s", p, jobID)
			}
		}},
	}
	for _, s := range flow {
		if !t.Run(s.name, s.fn) {
			t.FailNow()
		}
	}

	// The rest looks at what the flow and the setup made, and each part runs whatever the others find.
	t.Run("InPlaceActionsKeepTheFocusOnTheirControl", func(t *testing.T) { checkFocusAfterActions(t, b, data) })
	t.Run("TheDeleteDialogIsModalAndGivesTheFocusBack", func(t *testing.T) { checkDeleteDialog(t, b, data) })
	t.Run("TheJobsListRefreshesItself", func(t *testing.T) { checkJobsListRefreshes(t, b, app) })
	t.Run("TheRunsPageFindsAJobByNameAndNamesItByIDInTheURL", func(t *testing.T) { checkRunsJobPicker(t, b, app, data) })
	bulk := makeBulkData(t, app) // issue 27: bulk actions; made before the page is left on the proxy below
	t.Run("AConnectionProblemClearsItselfWhenCronflowAnswersAgain", func(t *testing.T) { checkConnectionState(t, b, app) })
	t.Run("TickedJobsArePausedAndResumedOnlyOnceConfirmed", func(t *testing.T) { checkBulkJobs(t, b, app, bulk) })
	t.Run("AllMatchingRunsAreRetriedOnceConfirmed", func(t *testing.T) { checkBulkRuns(t, b, app, bulk) })
	t.Run("ExportDownloadsEveryJobAsADocument", func(t *testing.T) {
		b.open(t, "/jobs")
		got := get(t, b, "download the export", chromedp.Evaluate[string](`fetch("/jobs/export").then(async r =>
			r.status + " " + r.headers.get("Content-Disposition") + " " + (await r.json()).jobs.length)`, chromedp.EvalAwaitPromise))
		if !strings.HasPrefix(got, `200 attachment; filename="cronflow-jobs-`) || strings.HasSuffix(got, " 0") {
			t.Errorf("Export answers %q, want a download of every job", got)
		}
	})
	previewDoc, invalidDoc := importDocuments(t, app)
	upload := func(file string) func(t *testing.T) {
		return func(t *testing.T) {
			b.do(t, "choose the file and preview the import", chromedp.SetUploadFiles(testid("import-file"), []string{file}),
				chromedp.Click(testid("import-preview")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="import-summary"], [data-testid="import-problems"], [data-testid="import-error"]`)))
			if msg := js[string](t, b, `(document.querySelector('[data-testid="import-error"]') || {}).textContent || ""`); msg != "" {
				t.Fatalf("the import page says: %s", msg)
			}
		}
	}
	t.Run("EveryPageFitsEveryScreenAndPassesAxe", func(t *testing.T) {
		pages := []inspectedPage{
			{name: "home", path: "/"},
			{name: "home-tag", path: "/?tag=bulk-test"}, // issue 27: the tag picker and the note
			{name: "jobs", path: "/jobs"},
			{name: "jobs-menu", path: "/jobs", prepare: func(t *testing.T) {
				b.do(t, "open the first row's menu", chromedp.Click(chromedp.CSS(`[data-testid="job-row"] [data-testid="more"] summary`)),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-row"] [data-testid="delete"]`)))
			}},
			{name: "delete-dialog", path: "/jobs", prepare: func(t *testing.T) {
				b.do(t, "ask to delete the first row's job",
					chromedp.Click(chromedp.CSS(`[data-testid="job-row"] [data-testid="more"] summary`)),
					chromedp.Click(chromedp.CSS(`[data-testid="job-row"] [data-testid="delete"]`)))
				b.waitUntil(t, 5*time.Second, "the delete dialog", `!!document.querySelector('[data-testid="delete-dialog"][open]')`)
			}},
			{name: "jobs-selected", path: "/jobs?tag=bulk-test", prepare: func(t *testing.T) {
				b.do(t, "tick the jobs", chromedp.Click(chromedp.CSS(jobRow(bulk.tagged[0])+` [data-testid="job-select"]`)),
					chromedp.Click(chromedp.CSS(jobRow(bulk.tagged[1])+` [data-testid="job-select"]`)))
			}},
			{name: "jobs-bulk-dialog", path: "/jobs", prepare: func(t *testing.T) {
				b.do(t, "tick two jobs and press Delete", chromedp.Click(chromedp.CSS(jobRow(bulk.tagged[0])+` [data-testid="job-select"]`)),
					chromedp.Click(chromedp.CSS(jobRow(bulk.tagged[1])+` [data-testid="job-select"]`)), chromedp.Click(testid("bulk-delete")))
				b.waitUntil(t, 5*time.Second, "the bulk dialog", `!!document.querySelector('[data-testid="bulk-dialog"][open]')`)
			}},
			{name: "runs-bulk-dialog", path: "/runs?status=permanently_failed", prepare: func(t *testing.T) {
				b.do(t, "select all matching and press Retry", chromedp.Click(testid("select-all-matching")), chromedp.Click(testid("bulk-retry")))
				b.waitUntil(t, 5*time.Second, "the bulk dialog", `!!document.querySelector('[data-testid="bulk-dialog"][open]')`)
			}},
			{name: "new-job", path: "/jobs/new"},
			{name: "new-job-problems", path: "/jobs/new", prepare: func(t *testing.T) {
				b.do(t, "choose an email and submit a bad cron with nothing else",
					chromedp.Click(testid("mode-advanced")),
					chromedp.SendKeys(testid("cron-input"), "61 * * *"),
					choose(`[data-testid="task-type"]`, "email"),
					chromedp.WaitVisible(testid("payload-to-input")),
					chromedp.Click(testid("submit")),
					chromedp.WaitVisible(testid("form-problems")),
				)
				for _, want := range []string{"The recipients need at least one address.", "The message is required.", "has 4 parts"} {
					if got := get(t, b, "read the problems", chromedp.Text(testid("form-problems"))); !strings.Contains(got, want) {
						t.Errorf("the summary of problems %q does not say %q", got, want)
					}
				}
			}},
			{name: "clone", path: fmt.Sprintf("/jobs/new?from=%d", data.longJob)},
			{name: "job", path: fmt.Sprintf("/jobs/%d", data.longJob)},
			{name: "edit", path: fmt.Sprintf("/jobs/%d/edit", data.emailJob)},
			{name: "runs", path: "/runs"},
			// Issue 27: a job's backfill preview, and on a phone the folded menu and filters opened.
			{name: "backfill", path: fmt.Sprintf("/jobs/%d/backfill?from=2026-11-10T00:00&to=2026-11-11T00:00", data.longJob)},
			{name: "runs-menus-open", path: "/runs?error=refused", prepare: func(t *testing.T) {
				js[bool](t, b, `(function () { document.querySelectorAll(".nav-toggle, .filters-toggle").forEach(function (c) { c.checked = true; }); return true; })()`)
			}},
			{name: "audit", path: "/audit"},
			{name: "run", path: fmt.Sprintf("/runs/%d", data.failedRun)},
			{name: "run-retried", path: fmt.Sprintf("/runs/%d", data.retriedRun), prepare: func(t *testing.T) {
				if n := js[int](t, b, `document.querySelectorAll('[data-testid="attempt"]').length`); n != 2 {
					t.Errorf("the retried run's timeline shows %d attempts, want 2", n)
				}
			}},
			{name: "channels", path: "/channels"},
			{name: "channel", path: fmt.Sprintf("/channels/%d", data.failingChannel)},
			{name: "channel-sent", path: fmt.Sprintf("/channels/%d", data.sentChannel)},
			{name: "import", path: "/jobs/import"},
			{name: "import-preview", path: "/jobs/import", prepare: func(t *testing.T) {
				upload(previewDoc)(t)
				b.do(t, "see the changes", chromedp.WaitVisible(testid("import-summary")),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="import-job"][data-action="update"] [data-field="alerts.after"]`)))
			}},
			{name: "import-problems", path: "/jobs/import", prepare: func(t *testing.T) {
				upload(invalidDoc)(t)
				b.do(t, "see the problems", chromedp.WaitVisible(testid("import-problems")))
			}},
			{name: "not-found", path: missing, status: 404, prepare: func(t *testing.T) {
				b.do(t, "see the error inside the layout with a way back",
					chromedp.WaitVisible(testid("error-page")), chromedp.WaitVisible(testid("nav-jobs")), chromedp.WaitVisible(testid("error-back")))
			}},
			{name: "users", path: "/settings/users"},
			{name: "user", path: "/settings/users/1"},
			{name: "account", path: "/settings/account"},
			{name: "tokens", path: "/settings/tokens", prepare: func(t *testing.T) {
				b.do(t, "name a token", chromedp.SendKeys(testid("token-name"), "backup script"))
				b.follow(t, "create the token", chromedp.Click(testid("token-create")))
				b.do(t, "see the new token once", chromedp.WaitVisible(testid("new-token-value")), chromedp.WaitVisible(testid("tokens-table")))
			}},
		}
		// The job form's states need the session, so they come before the login page, which logs out.
		pages = append(pages, jobFormInspections(b, target.URL)...) // issue 27: a test's outcome, presets' problems
		pages = append(pages, inspectedPage{name: "login", path: "/", prepare: func(t *testing.T) {
			b.follow(t, "log out", chromedp.Click(testid("logout")))
			if p := b.path(t); p != "/login" {
				t.Fatalf("logging out landed on %q, want /login", p)
			}
			b.do(t, "see the login form", chromedp.WaitVisible(testid("login-form")))
		}})
		for _, p := range pages {
			b.inspect(t, p)
		}
		if b.shots != "" {
			t.Logf("screenshots saved in %s", b.shots)
		}
	})
	t.Run("TheConsoleHasNoErrorsAndNoCSPViolations", func(t *testing.T) {
		b.open(t, "/login") // with the policy in force again
		problems := b.consoleProblems()
		for _, p := range problems {
			t.Errorf("console: %s", p)
		}
		b.mu.Lock()
		t.Logf("failed responses the flow caused on purpose (the job form's 422): %d", len(b.expected))
		b.mu.Unlock()
		// The check itself must work: an inline script is a violation it has to catch. What it
		// catches is then forgotten, so that it is not reported as a problem of the app.
		js[chromedp.Void](t, b, `(function () { var s = document.createElement("script"); s.textContent = "1"; document.body.append(s); })()`)
		workertest.WaitFor(t, 5*time.Second, "the CSP reporter to catch an inline script", func() bool {
			for _, p := range b.consoleProblems()[len(problems):] {
				if strings.Contains(p, "CSP violation: script-src") {
					return true
				}
			}
			return false
		})
		b.mu.Lock()
		b.problems = b.problems[:len(problems)]
		b.mu.Unlock()
	})
	t.Logf("browser flow took %s", time.Since(start).Round(time.Millisecond))
}

// recordScheduleChecks makes the page keep the cron of every live schedule check it answered, so
// that the test waits for the check of exactly what was typed.
func recordScheduleChecks(t *testing.T, b *browser) {
	t.Helper()
	js[chromedp.Void](t, b, `(function () {
		window.__scheduleChecks = [];
		if (window.__recording) { return; }
		window.__recording = true;
		document.body.addEventListener("htmx:afterRequest", function (e) {
			var xhr = e.detail && e.detail.xhr;
			if (!xhr || !xhr.responseURL) { return; }
			var u = new URL(xhr.responseURL);
			if (u.pathname === "/jobs/schedule") { window.__scheduleChecks.push(u.searchParams.get("cron")); }
			if (u.pathname === "/jobs/summary") { window.__scheduleChecks.push(e.detail.requestConfig.formData.get("cron")); }
		});
	})()`)
}

// lastScheduleCheckIs is a JavaScript condition: the last live schedule check was for cron.
func lastScheduleCheckIs(cron string) string {
	return `(window.__scheduleChecks || []).slice(-1)[0] === ` + quoteJS(cron)
}
