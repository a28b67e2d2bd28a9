package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/views"
)

// The job form carries jitter, start, end and blackouts as the API does, re-renders with their
// problems (422), shows them when editing, and its live preview is the API's preview (issue 21).
func TestTheFormCarriesJitterAndWindows(t *testing.T) {
	t.Parallel()
	d := setup(t)
	form := validForm()
	form.Set("jitter", "30s")
	form.Set("start_at", "2026-01-01T00:00:00Z")
	form.Set("blackouts", "2030-12-24T00:00:00Z 2030-12-27T00:00:00Z\n\n2031-01-01T00:00:00+01:00 2031-01-02T00:00:00Z\n")

	t.Run("BadValuesComeBackWithTheirProblems", func(t *testing.T) {
		bad := validForm()
		bad.Set("jitter", "2h")
		bad.Set("blackouts", "2030-12-24T00:00:00Z")
		page := d.parse(d.send(http.MethodPost, "/jobs", formBody(bad), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
		if got := find(t, page, "jitter-error").Text(); !strings.HasPrefix(got, "The jitter must be a whole number of seconds") {
			t.Errorf("jitter problem %q", got)
		}
		if got := find(t, page, "blackouts-error").Text(); !strings.Contains(got, "line 1") {
			t.Errorf("blackouts problem %q", got)
		}
		if got := find(t, page, "jitter-input").AttrOr("value", ""); got != "2h" {
			t.Errorf("the jitter came back as %q, want what was typed", got)
		}
		if n := d.jobCount(); n != 0 {
			t.Fatalf("%d jobs stored from a rejected form", n)
		}
	})

	var id int64
	t.Run("AValidFormStoresThem", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var j apiWindow
		id = mustID(t, rec.Header().Get("Location"))
		d.expect(d.send(http.MethodGet, "/api/jobs/"+itoa64(id), nil), http.StatusOK, &j)
		if j.Jitter != "30s" || j.StartAt == nil || len(j.Blackouts) != 2 || !j.Blackouts[1].From.Equal(time.Date(2030, 12, 31, 23, 0, 0, 0, time.UTC)) {
			t.Fatalf("stored %+v", j)
		}
	})

	t.Run("TheEditFormAndTheJobPageShowThem", func(t *testing.T) {
		edit := d.page("/jobs/"+itoa64(id)+"/edit", false, http.StatusOK)
		if got := find(t, edit, "jitter-input").AttrOr("value", ""); got != "30s" {
			t.Errorf("edit form jitter %q", got)
		}
		if got := find(t, edit, "blackouts-input").Text(); !strings.Contains(got, "2030-12-24T00:00:00Z 2030-12-27T00:00:00Z") {
			t.Errorf("edit form blackouts %q", got)
		}
		if got := edit.Find(`input[name="job_id"]`).AttrOr("value", ""); got != itoa64(id) {
			t.Errorf("edit form job_id %q, want %d", got, id)
		}
		page := d.page("/jobs/"+itoa64(id), false, http.StatusOK)
		if got := find(t, page, "job-jitter").Text(); !strings.HasPrefix(got, "Up to 30 seconds") {
			t.Errorf("job page jitter %q", got)
		}
		if got := find(t, page, "job-blackouts").Find("li").Length(); got != 2 {
			t.Errorf("job page shows %d blackouts, want 2", got)
		}
	})

	t.Run("TheLivePreviewIsTheAPIsPreview", func(t *testing.T) {
		q := url.Values{"mode": {"advanced"}, "cron": {"H H(0-5) * * *"}, "timezone": {"UTC"}, "jitter": {"10m"}, "job_id": {"77"}}
		doc := d.page("/jobs/schedule?"+q.Encode(), true, http.StatusOK)
		var shown []string
		find(t, doc, "next-run").Each(func(_ int, row *goquery.Selection) { shown = append(shown, row.Find("td").Last().Text()) })
		api := d.preview(url.Values{"cron": {"H H(0-5) * * *"}, "jitter": {"10m"}, "job_id": {"77"}, "count": {"5"}})
		if len(shown) != 5 || len(api) != 5 {
			t.Fatalf("form shows %v, API %v", shown, api)
		}
		for i := range api {
			if want := views.ShortExactSeconds(api[i], time.UTC); shown[i] != want { // jitter: seconds shown
				t.Errorf("form shows %v, the API %v", shown, api)
			}
		}
	})
}

// mustID reads the id at the end of a job's URL.
func mustID(t *testing.T, location string) int64 {
	t.Helper()
	parts := strings.Split(strings.TrimSuffix(location, "/"), "/")
	var id int64
	for _, c := range parts[len(parts)-1] {
		if c < '0' || c > '9' {
			t.Fatalf("no job id in %q", location)
		}
		id = id*10 + int64(c-'0')
	}
	return id
}
