package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// failJob gives a job n failed runs in a row, the last with errText, and the alert state the
// alerter would leave it in: failing, with n failures in a row.
func (f *fixture) failJob(id int64, n int, errText string) {
	f.t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		dbtest.InsertRun(f.t, f.q, id, "permanently_failed", "", errText)
	}
	if err := f.q.JobAlertStateInit(ctx, []int64{id}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.q.JobAlertStateSet(ctx, sqlcgen.JobAlertStateSetParams{JobID: id, ConsecutiveFailures: int32(n), Failing: true, Episode: 1}); err != nil {
		f.t.Fatal(err)
	}
}

func TestFailingJobIsShownInItsHeaderRowAndHomeCard(t *testing.T) {
	t.Parallel()
	d := setup(t)
	ok := dbtest.InsertJob(d.t, d.q, pingJobParams("Healthy ping"))
	dbtest.InsertRun(d.t, d.q, ok.ID, "completed", "HTTP 200", "")
	bad := dbtest.InsertJob(d.t, d.q, pingJobParams("Broken webhook"))
	long := "GET http://127.0.0.1:9399/hook: connection refused" + strings.Repeat(" and more", 30)
	d.failJob(bad.ID, 3, "GET http://127.0.0.1:9399/hook: connection refused")
	d.failJob(bad.ID, 1, long) // the newest error is the one shown
	d.failJob(bad.ID, 4, "GET http://127.0.0.1:9399/hook: connection refused")
	paused := dbtest.InsertJob(d.t, d.q, pingJobParams("Paused one"))
	if _, err := d.q.JobSetPaused(context.Background(), sqlcgen.JobSetPausedParams{ID: paused.ID, Paused: true}); err != nil {
		t.Fatal(err)
	}

	t.Run("JobPageHeader", func(t *testing.T) {
		doc := d.page("/jobs/"+itoa64(bad.ID), false, http.StatusOK)
		badge := find(t, doc, "job-detail").Find(`[data-testid="failing"]`)
		if badge.Length() != 1 || !strings.Contains(badge.Text(), "4 failed runs in a row") {
			t.Fatalf("header badge = %q", badge.Text())
		}
		if got := badge.Find(`[data-testid="failing-error"]`).Text(); got != "GET http://127.0.0.1:9399/hook: nothing listens on 127.0.0.1:9399" {
			t.Errorf("last error = %q", got)
		}
		if doc.Find(`[data-testid="job-state"]`).Length() != 0 {
			t.Error("a failing job's header still says Active")
		}
		okDoc := d.page("/jobs/"+itoa64(ok.ID), false, http.StatusOK)
		if okDoc.Find(`[data-testid="failing"]`).Length() != 0 || find(t, okDoc, "job-state").Text() != "Active" {
			t.Error("a healthy job is shown failing")
		}
	})
	t.Run("JobsRowsAndFilter", func(t *testing.T) {
		doc := d.page("/jobs", false, http.StatusOK)
		rows := find(t, doc, "job-row")
		if rows.Length() != 3 || rows.Find(`[data-testid="failing-badge"]`).Length() != 1 {
			t.Fatalf("%d rows, %d failing", rows.Length(), rows.Find(`[data-testid="failing-badge"]`).Length())
		}
		doc = d.page("/jobs?state=failing", true, http.StatusOK)
		rows = find(t, doc, "job-row")
		if rows.Length() != 1 || rows.AttrOr("data-job-id", "") != itoa64(bad.ID) {
			t.Errorf("the failing filter lists %d rows", rows.Length())
		}
	})
	t.Run("HomeCountsJobsNotRuns", func(t *testing.T) {
		doc := d.page("/", false, http.StatusOK)
		if got := find(t, doc, "total-failing").Text(); got != "1" {
			t.Errorf("jobs failing = %q, want 1 for 8 failed runs of one job", got)
		}
		if got := find(t, doc, "total-jobs").Text(); got != "2" {
			t.Errorf("jobs scheduled = %q, want 2: the paused job is not scheduled", got)
		}
		cards := find(t, doc, "failing-job")
		if cards.Length() != 1 || !strings.Contains(cards.Text(), "Broken webhook") || cards.Find(`[data-testid="failing-since"]`).Length() != 1 {
			t.Errorf("failing cards = %q", cards.Text())
		}
	})
}

func TestJobsListSortsByColumnsAcrossPages(t *testing.T) {
	t.Parallel()
	d := setup(t)
	names := make([]string, 0, jobsPageSize+5)
	for i := 0; i < jobsPageSize+5; i++ {
		name := string(rune('a'+i%26)) + itoa64(int64(i))
		dbtest.InsertJob(d.t, d.q, pingJobParams(name))
		names = append(names, name)
	}
	read := func(target string) ([]string, string) {
		doc := d.page(target, false, http.StatusOK)
		var got []string
		doc.Find(`[data-testid="job-link"]`).Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
		return got, doc.Find(`[data-testid="page-older"]`).AttrOr("href", "")
	}
	first, next := read("/jobs?sort=name")
	if next == "" || len(first) != jobsPageSize {
		t.Fatalf("first page: %d rows, next %q", len(first), next)
	}
	second, last := read(next)
	all := append(first, second...)
	if len(all) != len(names) || last != "" {
		t.Fatalf("%d rows over two pages, want %d (next %q)", len(all), len(names), last)
	}
	for i := 1; i < len(all); i++ {
		if strings.ToLower(all[i-1]) > strings.ToLower(all[i]) {
			t.Fatalf("not sorted by name at %d: %q before %q", i, all[i-1], all[i])
		}
	}
	desc, _ := read("/jobs?sort=-name")
	if desc[0] != all[len(all)-1] {
		t.Errorf("sorted the other way starts with %q, want %q", desc[0], all[len(all)-1])
	}
	doc := d.page("/jobs?sort=name", false, http.StatusOK)
	if h := find(t, doc, "sort-name"); h.Parent().AttrOr("aria-sort", "") != "ascending" || !strings.Contains(h.AttrOr("href", ""), "sort=-name") {
		t.Errorf("the name heading says %q and links to %q", h.Parent().AttrOr("aria-sort", ""), h.AttrOr("href", ""))
	}
	for _, s := range []string{"next", "-next", "last", "-last"} {
		if got, _ := read("/jobs?sort=" + s); len(got) != jobsPageSize {
			t.Errorf("sort=%s: %d rows", s, len(got))
		}
	}
}
