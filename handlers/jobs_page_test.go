package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/cronflow/cronflow/queries/dbtest"
)

func TestJobsPageListsJobsWithMaskedPayloads(t *testing.T) {
	t.Parallel()
	d := setup(t)
	dbtest.InsertJob(d.t, d.q, dbtest.Job("Standup", "slack", `{"webhook_url":"https://hooks.slack.com/services/T0/B0/sekrit","text":"Standup!"}`, "0 9 * * 1-5"))
	dbtest.InsertJob(d.t, d.q, dbtest.Job("Hook", "webhook", `{"url":"https://bob:hunter2@example.com/in?token=abc","body":{"a":1}}`, "@every 30s"))
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Nightly ping"))
	dbtest.InsertRun(d.t, d.q, j.ID, "completed", "ok", "")

	for _, htmx := range []bool{false, true} {
		t.Run(map[bool]string{false: "Plain", true: "HTMX"}[htmx], func(t *testing.T) {
			doc := d.page("/jobs", htmx, http.StatusOK)
			if isFragment(doc) != htmx {
				t.Errorf("fragment = %v, want %v", isFragment(doc), htmx)
			}
			rows := find(t, doc, "job-row")
			if rows.Length() != 3 || rows.First().AttrOr("data-job-id", "") != itoa64(j.ID) {
				t.Fatalf("%d rows, newest first expected", rows.Length())
			}
			html, _ := doc.Html()
			for _, secret := range []string{"sekrit", "hunter2", "token=abc"} {
				if strings.Contains(html, secret) {
					t.Errorf("the list shows the secret %q", secret)
				}
			}
			if got := rows.First().Find(`[data-testid="run-status"]`).AttrOr("data-status", ""); got != "completed" {
				t.Errorf("last run status = %q", got)
			}
			words := find(t, doc, "job-words").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
			if strings.Join(words, "|") != "At 02:30, every day|Every 30 seconds|At 09:00, Monday through Friday" {
				t.Errorf("words = %v", words)
			}
		})
	}
}

func TestJobsPageSearchesFiltersAndPages(t *testing.T) {
	t.Parallel()
	d := setup(t)
	for i := range jobsPageSize + 3 {
		dbtest.InsertJob(d.t, d.q, pingJobParams(fmt.Sprintf("Ping %02d", i)))
	}
	dbtest.InsertJob(d.t, d.q, dbtest.Job("Weekly mail", "email", `{"to":["a@example.com"],"subject":"Hi","body":"Hello"}`, "0 9 * * 1"))
	paused := dbtest.InsertJob(d.t, d.q, pingJobParams("Sleepy 100%_match"))
	if _, err := d.q.JobSetPaused(context.Background(), sqlcgenPause(paused.ID)); err != nil {
		t.Fatal(err)
	}

	count := func(target string) (int, *goquery.Document) {
		doc := d.page(target, true, http.StatusOK)
		return doc.Find(`[data-testid="job-row"]`).Length(), doc
	}
	if n, _ := count("/jobs?q=weekly"); n != 1 {
		t.Errorf("search: %d rows", n)
	}
	if n, _ := count("/jobs?q=100%25_"); n != 1 {
		t.Errorf("wildcards in a search are literal: %d rows", n)
	}
	if n, doc := count("/jobs?q=we"); n != jobsPageSize || find(t, doc, "jobs-note").Length() != 1 {
		t.Errorf("a 2-character search is not run: %d rows", n)
	}
	if n, _ := count("/jobs?type=email"); n != 1 {
		t.Errorf("type filter: %d rows", n)
	}
	if n, _ := count("/jobs?state=paused"); n != 1 {
		t.Errorf("paused filter: %d rows", n)
	}
	if n, doc := count("/jobs?q=zzzz"); n != 0 || !strings.Contains(find(t, doc, "jobs-empty").Text(), "No jobs match") {
		t.Errorf("no match: %d rows", n)
	}

	n, doc := count("/jobs?type=ping")
	older := find(t, doc, "page-older").AttrOr("href", "")
	if n != jobsPageSize || !strings.Contains(older, "type=ping") || doc.Find(`[data-testid="page-newer"]`).Length() != 0 {
		t.Fatalf("first page: %d rows, older %q", n, older)
	}
	n, doc = count(older)
	if n != 4 || doc.Find(`[data-testid="page-older"]`).Length() != 0 {
		t.Errorf("second page: %d rows", n)
	}
	newer := find(t, doc, "page-newer").AttrOr("href", "")
	if n, _ := count(newer); n != jobsPageSize {
		t.Errorf("back to the first page: %d rows", n)
	}
}

func TestJobPageShowsSettingsActionsAndRuns(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, dbtest.Job("Standup", "slack", `{"webhook_url":"https://hooks.slack.com/services/T0/B0/sekrit","text":"Standup!"}`, "0 9 * * 1-5"))
	dbtest.InsertRun(d.t, d.q, j.ID, "completed", "ok", "")
	doc := d.page("/jobs/"+itoa64(j.ID), false, http.StatusOK)
	if got := find(t, doc, "job-name").Text(); got != "Standup" {
		t.Errorf("name = %q", got)
	}
	if got := find(t, doc, "job-words").Text(); got != "At 09:00, Monday through Friday" {
		t.Errorf("words = %q", got)
	}
	if html, _ := doc.Html(); strings.Contains(html, "sekrit") {
		t.Error("the job page shows the Slack webhook's secret path")
	}
	for _, id := range []string{"run-now", "pause", "edit", "clone", "delete"} {
		find(t, doc, id)
	}
	table := find(t, doc, "runs-table")
	if got := table.AttrOr("hx-get", ""); got != fmt.Sprintf("/jobs/%d/live?job_id=%d", j.ID, j.ID) {
		t.Errorf("the job's runs poll %q", got)
	}
	if table.Find(`[data-testid="run-row"]`).Length() != 1 {
		t.Error("the job's run is listed")
	}
	if rec := d.send(http.MethodGet, "/jobs/999999999", nil); rec.Code != http.StatusNotFound {
		t.Errorf("missing job: %d", rec.Code)
	}
}

func TestJobActionsWorkAsFormPostsAndWithHTMX(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Nightly"))
	id := itoa64(j.ID)

	t.Run("RunNowPlainGoesBackWithAFlash", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs/"+id+"/run", formBody(url.Values{"back": {"/jobs?q=nig"}}), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/jobs?q=nig" {
			t.Fatalf("%d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if n := len(d.pub.published()); n != 1 {
			t.Errorf("%d runs published", n)
		}
		flash := cookieValue(rec, flashCookie)
		if !strings.Contains(flash, "queued") {
			t.Errorf("flash cookie = %q", flash)
		}
		page := d.parse(d.send(http.MethodGet, "/jobs", nil, "Cookie", flashCookie+"="+flash), http.StatusOK)
		if !strings.Contains(find(t, page, "flash").Text(), "is queued") {
			t.Error("the next page shows the flash message")
		}
	})
	t.Run("RunNowHTMXSwapsTheRow", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs/"+id+"/run", formBody(url.Values{"back": {"/jobs"}}), "Sec-Fetch-Site", "same-origin", "HX-Request", "true", "HX-Target", "job-"+id)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		// A row parses only inside a table, as htmx parses it.
		doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + rec.Body.String() + "</tbody></table>"))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Header().Get("HX-Trigger") != "runs-changed" {
			t.Error("run now tells the runs tables to refresh")
		}
		if got := find(t, doc, "job-row").AttrOr("id", ""); got != "job-"+id {
			t.Errorf("row id = %q", got)
		}
		if got := find(t, doc, "run-status").AttrOr("data-status", ""); got != "queued" {
			t.Errorf("last run = %q", got)
		}
		if find(t, doc, "flash").Parent().AttrOr("hx-swap-oob", "") != "true" {
			t.Error("the flash comes out of band")
		}
	})
	t.Run("PauseHTMXOnTheJobPageSwapsItsSettings", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs/"+id+"/pause", formBody(url.Values{"back": {"/jobs/" + id}}), "Sec-Fetch-Site", "same-origin", "HX-Request", "true", "HX-Target", "job-detail")
		doc := d.parse(rec, http.StatusOK)
		if got := find(t, doc, "job-state").Text(); got != "Paused" {
			t.Errorf("state = %q", got)
		}
		find(t, doc, "resume")
		if !d.storedPaused(j.ID) {
			t.Error("the job is not paused")
		}
	})
	t.Run("ResumePlain", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs/"+id+"/resume", formBody(url.Values{"back": {"https://evil.example/"}}), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/jobs/"+id {
			t.Errorf("%d to %q: a foreign back URL is ignored", rec.Code, rec.Header().Get("Location"))
		}
		if d.storedPaused(j.ID) {
			t.Error("the job is still paused")
		}
	})
}

func TestDeleteAsksWithTheRunCountThenDeletes(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Doomed"))
	id := itoa64(j.ID)
	dbtest.InsertRun(d.t, d.q, j.ID, "completed", "", "")
	dbtest.InsertRun(d.t, d.q, j.ID, "completed", "", "")

	page := d.page("/jobs/"+id+"/delete?back=/jobs/"+id, false, http.StatusOK)
	if got := find(t, page, "delete-what").Text(); !strings.Contains(got, "its 2 runs") {
		t.Errorf("delete-what = %q", got)
	}
	dialog := d.page("/jobs/"+id+"/delete", true, http.StatusOK)
	if !isFragment(dialog) || find(t, dialog, "delete-dialog").Length() != 1 {
		t.Error("htmx gets the dialog alone")
	}
	rec := d.send(http.MethodPost, "/jobs/"+id+"/delete", formBody(url.Values{"back": {"/jobs/" + id}}), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/jobs" {
		t.Errorf("%d to %q: after deleting from its page, go to the list", rec.Code, rec.Header().Get("Location"))
	}
	if n, _ := d.q.JobCount(context.Background()); n != 0 {
		t.Errorf("%d jobs left", n)
	}
}
