package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/cronflow/cronflow/queries/dbtest"
)

func TestRunsPageFiltersAndPolls(t *testing.T) {
	t.Parallel()
	d := setup(t)
	a, b := dbtest.InsertJob(d.t, d.q, pingJobParams("Alpha")), dbtest.InsertJob(d.t, d.q, pingJobParams("Beta"))
	dbtest.InsertRun(d.t, d.q, a.ID, "completed", "HTTP 200 "+strings.Repeat("x", 400), "")
	retrying := dbtest.InsertRun(d.t, d.q, a.ID, "failed", "", "HTTP 503")
	forGood := dbtest.InsertRun(d.t, d.q, b.ID, "permanently_failed", "", "HTTP 500")
	dbtest.InsertRun(d.t, d.q, b.ID, "queued", "", "")

	t.Run("EveryRunNewestFirst", func(t *testing.T) {
		doc := d.page("/runs", false, http.StatusOK)
		rows := find(t, doc, "run-row")
		if rows.Length() != 4 {
			t.Fatalf("%d rows", rows.Length())
		}
		statuses := rows.Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-status", "") })
		if strings.Join(statuses, ",") != "queued,permanently_failed,failed,completed" {
			t.Errorf("statuses = %v", statuses)
		}
		if got := find(t, doc, "runs-table").AttrOr("hx-get", ""); got != "/runs/table" {
			t.Errorf("poll URL = %q", got)
		}
		cut := rows.Last().Find(`[data-testid="run-output"] pre`).Text()
		if len(cut) != 300 {
			t.Errorf("the table shows %d characters of a long output, want 300", len(cut))
		}
	})
	t.Run("ByJobAndStatusWithAndWithoutHTMX", func(t *testing.T) {
		target := fmt.Sprintf("/runs?job_id=%d&status=failed", a.ID)
		for _, htmx := range []bool{false, true} {
			doc := d.page(target, htmx, http.StatusOK)
			if isFragment(doc) != htmx {
				t.Errorf("htmx=%v: fragment = %v", htmx, isFragment(doc))
			}
			rows := find(t, doc, "run-row")
			if rows.Length() != 1 || rows.AttrOr("data-run-id", "") != itoa64(retrying.ID) {
				t.Errorf("rows = %d", rows.Length())
			}
			if got := find(t, doc, "runs-table").AttrOr("hx-get", ""); got != fmt.Sprintf("/runs/table?job_id=%d&status=failed", a.ID) {
				t.Errorf("the poll keeps the filters: %q", got)
			}
			if !strings.Contains(find(t, doc, "runs-job").Text(), "Alpha") {
				t.Error("the table names the job filtered on")
			}
		}
	})
	t.Run("ThePollAnswersWithTheTable", func(t *testing.T) {
		doc := d.page("/runs/table?status=permanently_failed", true, http.StatusOK)
		if !isFragment(doc) {
			t.Error("the poll answers with a fragment")
		}
		badge := find(t, doc, "run-status")
		if badge.Length() != 1 || badge.Text() != "failed for good" || find(t, doc, "run-row").AttrOr("data-run-id", "") != itoa64(forGood.ID) {
			t.Errorf("badge %q", badge.Text())
		}
	})
	t.Run("BadFiltersAreDroppedWithANote", func(t *testing.T) {
		doc := d.page("/runs?status=bogus", false, http.StatusOK)
		if n := find(t, doc, "run-row").Length(); n != 4 {
			t.Errorf("an unknown status is dropped: %d rows, want all 4", n)
		}
		doc = d.page("/runs?job_id=abc", false, http.StatusOK)
		if !strings.Contains(find(t, doc, "runs-note").Text(), "No single job is named “abc”") {
			t.Error("no note for a name that fits no job")
		}
		if n := doc.Find(`[data-testid="run-row"]`).Length(); n != 0 {
			t.Errorf("a name that fits no job shows %d rows, want none rather than every run", n)
		}
		gone := d.page("/runs?job_id=999999999", false, http.StatusOK)
		if !strings.Contains(find(t, gone, "runs-note").Text(), "no job 999999999") {
			t.Error("no note for a missing job")
		}
		find(t, gone, "runs-empty")
	})
}

func TestRunsPagePagesByKeysetAndKeepsThePageWhenPolled(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Busy"))
	for range runsPageSize + 3 {
		dbtest.InsertRun(d.t, d.q, j.ID, "queued", "", "")
	}
	doc := d.page("/runs", false, http.StatusOK)
	older := find(t, doc, "page-older").AttrOr("href", "")
	second := d.page(older, false, http.StatusOK)
	if n := find(t, second, "run-row").Length(); n != 3 {
		t.Errorf("second page: %d rows", n)
	}
	poll := find(t, second, "runs-table").AttrOr("hx-get", "")
	if !strings.HasPrefix(poll, "/runs/table?before=") {
		t.Errorf("the second page polls %q", poll)
	}
	if n := find(t, d.page(poll, true, http.StatusOK), "run-row").Length(); n != 3 {
		t.Errorf("the poll of the second page has %d rows", n)
	}
	newer := find(t, second, "page-newer").AttrOr("href", "")
	if n := find(t, d.page(newer, false, http.StatusOK), "run-row").Length(); n != runsPageSize {
		t.Errorf("newer page: %d rows", n)
	}
}

func TestRunPageShowsEverything(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Alpha"))
	long := strings.Repeat("y", 1000)
	r := dbtest.InsertRun(d.t, d.q, j.ID, "permanently_failed", long, "HTTP 500")
	for _, htmx := range []bool{false, true} {
		doc := d.page("/runs/"+itoa64(r.ID), htmx, http.StatusOK)
		if isFragment(doc) != htmx {
			t.Errorf("htmx=%v: fragment = %v", htmx, isFragment(doc))
		}
		if got := find(t, doc, "run-output-full").Text(); got != long {
			t.Errorf("output is %d characters", len(got))
		}
		if got := find(t, doc, "run-status").Text(); got != "failed for good" {
			t.Errorf("status = %q", got)
		}
		if _, polls := find(t, doc, "run-detail").Attr("hx-get"); polls {
			t.Error("a settled run does not poll")
		}
	}
	q := dbtest.InsertRun(d.t, d.q, j.ID, "queued", "", "")
	if _, polls := find(t, d.page("/runs/"+itoa64(q.ID), false, http.StatusOK), "run-detail").Attr("hx-get"); !polls {
		t.Error("a queued run's page refreshes")
	}
	if rec := d.send(http.MethodGet, "/runs/999999999", nil); rec.Code != http.StatusNotFound {
		t.Errorf("missing run: %d", rec.Code)
	}
}

func TestARunTheBrokerHasNotTakenSaysSo(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Nightly"))
	unsent := dbtest.InsertRun(d.t, d.q, j.ID, "queued", "", "")
	sent := dbtest.InsertRun(d.t, d.q, j.ID, "queued", "", "")
	if err := d.q.RunMarkPublished(context.Background(), []int64{sent.ID}); err != nil {
		t.Fatal(err)
	}
	doc := d.page("/runs/table", true, http.StatusOK)
	for id, want := range map[int64]int{unsent.ID: 1, sent.ID: 0} {
		row := doc.Find(`[data-testid="run-row"][data-run-id="` + itoa64(id) + `"]`)
		if got := row.Find(`[data-testid="run-unsent"]`).Length(); got != want {
			t.Errorf("run %d shows %d 'waiting for the broker' notes, want %d", id, got, want)
		}
	}
}
