package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
)

// The job page's runs poll brings its header, its next run and its Health up to date as well: a job
// that starts failing while the page is open shows it within one poll (issue 27, item 9).
func TestJobPageHeaderAndHealthRefreshWithTheRunsPoll(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := dbtest.InsertJob(f.t, f.q, pingJobParams("Nightly"))
	dbtest.InsertRun(f.t, f.q, j.ID, "completed", "HTTP 200", "")
	live := fmt.Sprintf("/jobs/%d/live?job_id=%d", j.ID, j.ID)

	page := f.page(fmt.Sprintf("/jobs/%d", j.ID), false, http.StatusOK)
	if got := find(t, page, "runs-table").AttrOr("hx-get", ""); got != live {
		t.Fatalf("the job's runs poll %q, want %q", got, live)
	}
	for _, id := range []string{"job-header", "job-next-run-value", "job-health"} {
		if page.Find("#"+id).Length() != 1 {
			t.Errorf("the page has no #%s for the poll to replace", id)
		}
	}

	f.failJob(j.ID, 3, "HTTP 503 from the upstream")
	poll := f.page(live, true, http.StatusOK)
	if !isFragment(poll) {
		t.Error("the poll answers with a fragment")
	}
	if n := find(t, poll, "run-row").Length(); n != 4 {
		t.Errorf("the poll lists %d runs, want 4", n)
	}
	header := poll.Find(`hgroup#job-header[hx-swap-oob="true"]`)
	if header.Length() != 1 || header.Find(`[data-testid="failing-badge"]`).Length() != 1 {
		t.Errorf("the poll's header is not out of band with the failing badge: %d", header.Length())
	}
	if header.Find(`[data-testid="job-state"]`).Length() != 0 {
		t.Error("a failing job's header still says Active")
	}
	if poll.Find(`#job-next-run-value[hx-swap-oob="true"] time`).Length() != 1 {
		t.Error("the poll brings no next run")
	}
	health := poll.Find(`#job-health[hx-swap-oob="true"] [data-testid="job-health"]`)
	if health.Length() != 1 || !strings.Contains(health.Text(), "Health") {
		t.Error("the poll brings no Health panel")
	}
}

// "Run #N queued" after Run now links to the run, on the page a plain post returns to and in the
// htmx answer alike.
func TestRunNowFlashLinksToTheRun(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := dbtest.InsertJob(f.t, f.q, pingJobParams("Linked"))
	back := fmt.Sprintf("/jobs/%d", j.ID)
	form := formBody(url.Values{"back": {back}})
	rec := f.send(http.MethodPost, back+"/run", form, "Sec-Fetch-Site", "same-origin", "HX-Request", "true", "HX-Target", "job-detail")
	doc := f.parse(rec, http.StatusOK)
	msgs := f.pub.published()
	if len(msgs) != 1 {
		t.Fatalf("%d runs published", len(msgs))
	}
	want := fmt.Sprintf("/runs/%d", msgs[0].RunID)
	link := find(t, doc, "flash-link")
	if link.AttrOr("href", "") != want || !strings.Contains(link.Text(), fmt.Sprintf("Run #%d", msgs[0].RunID)) {
		t.Errorf("htmx flash links %q (%q), want %q", link.AttrOr("href", ""), link.Text(), want)
	}

	rec = f.send(http.MethodPost, back+"/run", formBody(url.Values{"back": {back}}), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("plain post: %d", rec.Code)
	}
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == flashCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	msgs = f.pub.published()
	want = fmt.Sprintf("/runs/%d", msgs[len(msgs)-1].RunID)
	page := f.parse(f.send(http.MethodGet, back, nil, "Cookie", cookie), http.StatusOK)
	if got := find(t, page, "flash-link").AttrOr("href", ""); got != want {
		t.Errorf("the flash after the redirect links %q, want %q", got, want)
	}
}
