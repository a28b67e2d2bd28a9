package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// Issue 27, items 7 to 9 and 11: what runs now and next, the job's next runs and backfill, Health's
// retries, and the runs' trigger icons.

func TestHomeListsTheRunsRunningNowWithTheirJobAndElapsedTime(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := dbtest.InsertJob(f.t, f.q, pingJobParams("Slow export"))
	running := dbtest.InsertRun(f.t, f.q, j.ID, "running", "", "")
	dbtest.InsertRun(f.t, f.q, j.ID, "completed", "", "")
	for _, target := range []string{"/", "/home/stats"} {
		doc := f.page(target, target != "/", http.StatusOK)
		rows := find(t, doc, "running-run")
		if rows.Length() != 1 {
			t.Fatalf("%s lists %d running runs, want 1", target, rows.Length())
		}
		if got := find(t, doc, "running-run-link").AttrOr("href", ""); got != fmt.Sprintf("/runs/%d", running.ID) {
			t.Errorf("running run links to %q", got)
		}
		if got := find(t, doc, "running-job-link").AttrOr("href", ""); got != fmt.Sprintf("/jobs/%d", j.ID) {
			t.Errorf("running run's job links to %q", got)
		}
		if text := rows.Text(); !strings.Contains(text, "attempt 1") || !strings.Contains(find(t, doc, "running-elapsed").Text(), "running for") {
			t.Errorf("running run says %q, want its attempt and elapsed time", text)
		}
	}
}

func TestHomeNext24HoursAreOrderedAcrossJobsAndLeaveOutPausedJobs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	half := dbtest.InsertJob(f.t, f.q, dbtest.Job("Half-hourly", "ping", `{"url":"https://example.com/a"}`, "*/30 * * * *"))
	hourly := dbtest.InsertJob(f.t, f.q, dbtest.Job("Hourly", "ping", `{"url":"https://example.com/b"}`, "0 * * * *"))
	p := dbtest.Job("Paused every minute", "ping", `{"url":"https://example.com/c"}`, "* * * * *")
	p.Paused, p.NextRunAt = true, nil
	paused := dbtest.InsertJob(f.t, f.q, p)

	doc := f.page("/home/stats", true, http.StatusOK)
	rows := find(t, doc, "upcoming-run")
	if rows.Length() != nextShown {
		t.Fatalf("%d slots listed, want the first %d", rows.Length(), nextShown)
	}
	var ats []string
	seen := map[string]bool{}
	rows.Each(func(_ int, s *goquery.Selection) {
		ats = append(ats, s.AttrOr("data-at", ""))
		seen[s.AttrOr("data-job-id", "")] = true
	})
	if !slices.IsSorted(ats) {
		t.Errorf("slots are not in order: %v", ats)
	}
	if seen[itoa64(paused.ID)] || !seen[itoa64(half.ID)] || !seen[itoa64(hourly.ID)] {
		t.Errorf("jobs listed %v: want both active jobs and not the paused one", seen)
	}
	first, _ := time.Parse(time.RFC3339, ats[0])
	if d := time.Until(first); d <= -time.Second || d > 30*time.Minute {
		t.Errorf("first slot %v is not the half-hourly job's next", first)
	}
	// 48 half-hourly and 24 hourly slots in 24 hours; 50 are listed.
	if more := find(t, doc, "upcoming-more").Text(); !strings.Contains(more, "and 22 more runs") {
		t.Errorf("the rest: %q, want 22 more", more)
	}
	if find(t, doc, "upcoming-hour").Length() < 2 {
		t.Error("a long list is grouped by hour")
	}
}

func TestJobPageListsItsNextTenRunsInItsZone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	p := dbtest.Job("Berlin hourly", "ping", `{"url":"https://example.com/a"}`, "0 * * * *")
	p.Timezone = "Europe/Berlin"
	j := dbtest.InsertJob(f.t, f.q, p)
	doc := f.page(fmt.Sprintf("/jobs/%d", j.ID), false, http.StatusOK)
	rows := find(t, doc, "next-run")
	if rows.Length() != jobNextShown {
		t.Fatalf("%d next runs, want %d", rows.Length(), jobNextShown)
	}
	var prev time.Time
	rows.Each(func(i int, s *goquery.Selection) {
		at, err := time.Parse(time.RFC3339, s.AttrOr("data-at", ""))
		if err != nil || !at.After(prev) || at.Minute() != 0 {
			t.Errorf("next run %d at %v (%v), want hourly slots in order", i, at, err)
		}
		prev = at
		if !strings.Contains(s.Text(), "Europe/Berlin") || s.Find("time[data-viewer-time]").Length() != 1 {
			t.Errorf("next run %d = %q, want the job's zone and the viewer's time", i, s.Text())
		}
	})
	if _, err := f.q.JobSetPaused(context.Background(), sqlcgen.JobSetPausedParams{ID: j.ID, Paused: true}); err != nil {
		t.Fatal(err)
	}
	doc = f.page(fmt.Sprintf("/jobs/%d", j.ID), false, http.StatusOK)
	if n := doc.Find(`[data-testid="next-run"]`).Length(); n != 0 {
		t.Errorf("a paused job lists %d next runs", n)
	}
}

func TestBackfillPreviewCountsTheRunsAndOnlyTheConfirmationMakesThem(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := dbtest.InsertJob(f.t, f.q, dbtest.Job("Hourly report", "ping", `{"url":"https://example.com/a"}`, "0 * * * *"))
	// One slot of the window already has a run.
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/backfill", j.ID),
		jsonBody(`{"from": "2026-11-01T01:00:00Z", "to": "2026-11-01T02:00:00Z"}`), "Content-Type", "application/json"), http.StatusAccepted, nil)
	runs := func() int64 {
		n, err := f.q.RunCountForJob(context.Background(), sqlcgen.RunCountForJobParams{JobID: j.ID, MaxRows: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	doc := f.page(fmt.Sprintf("/jobs/%d/backfill?from=2026-11-01T00:00&to=2026-11-01T03:00", j.ID), false, http.StatusOK)
	if got := find(t, doc, "backfill-creates").Text(); got != "2 runs" {
		t.Errorf("preview creates %q, want 2 runs", got)
	}
	if s := find(t, doc, "backfill-summary").Text(); !strings.Contains(s, "3 slots") || !strings.Contains(s, "1 slot already has a run") {
		t.Errorf("preview says %q", s)
	}
	if n := runs(); n != 1 {
		t.Fatalf("the preview made runs: %d", n)
	}
	bad := f.page(fmt.Sprintf("/jobs/%d/backfill?from=2026-11-01T03:00&to=2026-11-01T00:00", j.ID), false, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Find("#backfill-to-error").Text(), "after") {
		t.Error("a window that ends before it starts says so under To")
	}

	form := url.Values{"from": {find(t, doc, "backfill-confirm").Find(`input[name="from"]`).AttrOr("value", "")},
		"to": {find(t, doc, "backfill-confirm").Find(`input[name="to"]`).AttrOr("value", "")}}
	rec := f.send(http.MethodPost, fmt.Sprintf("/jobs/%d/backfill", j.ID), formBody(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != fmt.Sprintf("/runs?job_id=%d", j.ID) {
		t.Fatalf("confirm answered %d to %q: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if n := runs(); n != 3 {
		t.Errorf("%d runs after the backfill, want 3", n)
	}
}

// retriedRun makes a manual run whose first attempt failed and whose retry completed.
func retriedRun(t *testing.T, q *sqlcgen.Queries, jobID int64) int64 {
	t.Helper()
	ctx := context.Background()
	r, err := q.RunInsertManual(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	for i, status := range []string{"failed", "completed"} {
		claims, err := q.RunClaim(ctx, sqlcgen.RunClaimParams{Ids: []int64{r.ID}, LeaseMarginMs: 60000})
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim %d of run %d: %d claimed, %v", i+1, r.ID, len(claims), err)
		}
		if _, err := q.RunRecordResults(ctx, sqlcgen.RunRecordResultsParams{Ids: []int64{r.ID}, Attempts: []int32{claims[0].Attempts},
			Statuses: []string{status}, Outputs: []string{""}, Errors: []string{""}, RetryDelaysMs: []int64{0}}); err != nil {
			t.Fatal(err)
		}
	}
	return r.ID
}

func TestRunsShowWhatMadeEachRunAsAnIconWithWords(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := dbtest.InsertJob(f.t, f.q, pingJobParams("Mixed"))
	manual := dbtest.InsertRun(f.t, f.q, j.ID, "completed", "", "")
	retried := retriedRun(t, f.q, j.ID)
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/backfill", j.ID),
		jsonBody(`{"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}`), "Content-Type", "application/json"), http.StatusAccepted, nil)
	doc := f.page("/runs", false, http.StatusOK)
	got := map[string]string{}
	find(t, doc, "run-row").Each(func(_ int, s *goquery.Selection) {
		icon := s.Find(`[data-testid="run-trigger"]`)
		got[s.AttrOr("data-run-id", "")] = icon.AttrOr("data-trigger", "") + ": " + icon.AttrOr("aria-label", "")
		if icon.AttrOr("role", "") != "img" || icon.AttrOr("title", "") != icon.AttrOr("aria-label", "-") {
			t.Errorf("run %s's icon has no text alternative", s.AttrOr("data-run-id", ""))
		}
	})
	if g := got[itoa64(manual.ID)]; g != "manual: Run by hand" {
		t.Errorf("manual run: %q", g)
	}
	if g := got[itoa64(retried)]; g != "retry: Retried once; first run by hand" {
		t.Errorf("retried run: %q", g)
	}
	var backfilled bool
	for _, g := range got {
		backfilled = backfilled || g == "backfill: Backfilled"
	}
	if !backfilled {
		t.Errorf("no backfilled run in %v", got)
	}
}

func TestHealthSaysHowManyRunsNeededARetry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := dbtest.InsertJob(f.t, f.q, pingJobParams("Flaky"))
	retriedRun(t, f.q, j.ID)
	retriedRun(t, f.q, j.ID)
	for range 3 {
		dbtest.InsertRun(f.t, f.q, j.ID, "completed", "", "")
	}
	doc := f.page(fmt.Sprintf("/jobs/%d/live", j.ID), true, http.StatusOK)
	if got := find(t, doc, "job-retry-rate").Find("strong").Text(); got != "40 %" {
		t.Errorf("retry rate %q, want 40 %%", got)
	}
	if got := find(t, doc, "job-outcome").Text(); got != "100 % succeeded, 40 % after retries" {
		t.Errorf("outcome %q", got)
	}
	if find(t, doc, "duration-trend-day").Length() != 1 {
		t.Error("the trend has today's durations")
	}
}
