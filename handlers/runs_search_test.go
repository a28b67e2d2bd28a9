package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/cronflow/cronflow/queries/dbtest"
)

func TestRunsPageTabsDatesAndErrorSearch(t *testing.T) {
	t.Parallel()
	d := setup(t)
	a, b := dbtest.InsertJob(d.t, d.q, pingJobParams("Alpha")), dbtest.InsertJob(d.t, d.q, pingJobParams("Beta"))
	long := "dial: nothing listens on 127.0.0.1:9399 " + strings.Repeat("and then some more words ", 6) + "END_100%"
	timeout := dbtest.InsertRun(d.t, d.q, a.ID, "permanently_failed", "", long)
	dbtest.InsertRun(d.t, d.q, a.ID, "completed", "ok", "")
	dbtest.InsertRun(d.t, d.q, b.ID, "failed", "", "HTTP 503")
	dbtest.InsertRun(d.t, d.q, b.ID, "queued", "", "")
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

	t.Run("EveryStatusHasATabWithItsCount", func(t *testing.T) {
		doc := d.page("/runs", false, http.StatusOK)
		counts := tabCounts(t, doc)
		want := map[string]string{"": "4", "completed": "1", "permanently_failed": "1", "failed": "1", "skipped": "0", "missed": "0", "cancelled": "0", "queued": "1"}
		for st, n := range want {
			if counts[st] != n {
				t.Errorf("tab %q counts %q, want %q (all: %v)", st, counts[st], n, counts)
			}
		}
		if cur := doc.Find(`[data-testid="runs-tab"][aria-current="page"]`); cur.AttrOr("data-status", "x") != "" {
			t.Errorf("the current tab is %q, want All", cur.AttrOr("data-status", "x"))
		}
	})
	t.Run("TabsKeepTheOtherFiltersAndCountWithinThem", func(t *testing.T) {
		doc := d.page(fmt.Sprintf("/runs?job_id=%d&error=listens&status=completed", a.ID), true, http.StatusOK)
		counts := tabCounts(t, doc)
		if counts[""] != "1" || counts["permanently_failed"] != "1" || counts["completed"] != "0" {
			t.Errorf("counts within the job and the search: %v", counts)
		}
		link, _ := url.Parse(doc.Find(`[data-testid="runs-tab"][data-status="skipped"]`).AttrOr("href", ""))
		if v := link.Query(); v.Get("job_id") != itoa64(a.ID) || v.Get("error") != "listens" || v.Get("status") != "skipped" {
			t.Errorf("the skipped tab's link %q drops a filter", link)
		}
		if n := doc.Find(`[data-testid="run-row"]`).Length(); n != 0 {
			t.Errorf("%d rows are completed and contain “listens”, want 0", n)
		}
	})
	t.Run("ErrorSearchFindsTextAnywhereAndEscapesWildcards", func(t *testing.T) {
		for _, q := range []string{"LISTENS on 127", "END_100%"} {
			doc := d.page("/runs?error="+url.QueryEscape(q), false, http.StatusOK)
			rows := find(t, doc, "run-row")
			if rows.Length() != 1 || rows.AttrOr("data-run-id", "") != itoa64(timeout.ID) {
				t.Errorf("error=%q: %d rows", q, rows.Length())
			}
			if got := find(t, doc, "runs-error-filter").AttrOr("value", ""); got != q {
				t.Errorf("the search box says %q, want %q", got, q)
			}
		}
		if n := d.page("/runs?error=100%25x", false, http.StatusOK).Find(`[data-testid="run-row"]`).Length(); n != 0 {
			t.Errorf("%% is a wildcard: %d rows", n)
		}
	})
	t.Run("DateRangeBoundsTheScheduledDay", func(t *testing.T) {
		if n := find(t, d.page("/runs?from="+today+"&to="+today, false, http.StatusOK), "run-row").Length(); n != 4 {
			t.Errorf("today to today: %d rows, want 4", n)
		}
		doc := d.page("/runs?from="+tomorrow, true, http.StatusOK)
		if n := doc.Find(`[data-testid="run-row"]`).Length(); n != 0 {
			t.Errorf("from tomorrow: %d rows, want 0", n)
		}
		if got := find(t, doc, "runs-table").AttrOr("hx-get", ""); got != "/runs/table?from="+tomorrow {
			t.Errorf("the poll keeps the range: %q", got)
		}
	})
	t.Run("ABadDateIsDroppedWithANoteNamingIt", func(t *testing.T) {
		doc := d.page("/runs?from=yesterday", false, http.StatusOK)
		if !strings.Contains(find(t, doc, "runs-filter-note").Text(), "From: “yesterday” is not a date") {
			t.Error("no note naming the field")
		}
		if n := find(t, doc, "run-row").Length(); n != 4 {
			t.Errorf("%d rows, want all 4", n)
		}
	})
	t.Run("OneWhenColumnAndTheErrorWhole", func(t *testing.T) {
		doc := d.page(fmt.Sprintf("/runs?job_id=%d", a.ID), false, http.StatusOK)
		if n := doc.Find(`.runs-list th.col-time`).Length(); n != 1 {
			t.Errorf("%d time columns, want 1", n)
		}
		row := doc.Find(fmt.Sprintf(`[data-testid="run-row"][data-run-id="%d"]`, timeout.ID))
		when := row.Find(`[data-testid="run-when"] time`)
		if !strings.Contains(when.AttrOr("title", ""), "Completed "+today) || !strings.Contains(when.Text(), "ago") && !strings.Contains(when.Text(), "just now") {
			t.Errorf("when %q title %q", when.Text(), when.AttrOr("title", ""))
		}
		if got := row.Find(`[data-testid="run-error"] summary`).AttrOr("title", ""); got != long {
			t.Errorf("the error's title is %q, want the whole error", got)
		}
	})
}

// tabCounts maps each status tab's status ("" for All) to its count.
func tabCounts(t *testing.T, doc *goquery.Document) map[string]string {
	t.Helper()
	out := map[string]string{}
	find(t, doc, "runs-tab").Each(func(_ int, s *goquery.Selection) {
		out[s.AttrOr("data-status", "")] = s.Find(`[data-testid="runs-tab-count"]`).Text()
	})
	return out
}
