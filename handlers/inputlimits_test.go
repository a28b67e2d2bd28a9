package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/sqlcgen"
)

// hugeCron is a valid cron expression of about 425 KB: a minute field listing 0 over and over.
var hugeCron = strings.Repeat("0,", 212_000) + "0 * * * *"

func TestAnOversizeCronIsAProblemWithTheCronField(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for field, body := range map[string]string{
		"cron":        `{"type": "ping", "cron": "` + hugeCron + `", "payload": {"url": "https://example.com"}}`,
		"timezone":    `{"type": "ping", "cron": "@hourly", "timezone": "` + strings.Repeat("Europe/", 20_000) + `", "payload": {"url": "https://example.com"}}`,
		"payload":     `{"type": "webhook", "cron": "@hourly", "payload": {"url": "https://example.com", "body": "` + strings.Repeat("x", 70_000) + `"}}`,
		"payload.url": `{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com/` + strings.Repeat("a", 3000) + `"}}`,
	} {
		rec := f.send(http.MethodPost, "/api/jobs", strings.NewReader(body), "Content-Type", "application/json")
		f.expectProblem(rec, http.StatusUnprocessableEntity, field)
		if rec.Body.Len() > 2000 {
			t.Errorf("the answer about %s repeats the input: %d bytes", field, rec.Body.Len())
		}
	}
	if n := f.jobCount(); n != 0 {
		t.Errorf("%d jobs stored", n)
	}
}

func TestThePreviewRefusesAnOversizeCron(t *testing.T) {
	t.Parallel()
	d := setup(t)
	doc := d.page("/jobs/schedule?mode=advanced&type=ping&cron="+url.QueryEscape(hugeCron), true, http.StatusOK)
	if got := find(t, doc, "cron-error").Text(); !strings.Contains(got, "at most 200 characters") {
		t.Errorf("the preview of a 425 KB cron says %q", got)
	}
	if doc.Find(`[data-testid="next-run"]`).Length() != 0 {
		t.Error("the preview lists next runs of an oversize cron")
	}
}

func TestTheDashboardLimitsJobCreationAndRunNow(t *testing.T) {
	t.Parallel()
	s := setupSecure(t, func(d *Deps) { d.JobsPerMinute, d.RunNowPerMinute = 2, 2 })
	cookie := s.login()
	form := func() url.Values {
		return url.Values{"name": {"n"}, "mode": {"advanced"}, "cron": {"@hourly"}, "timezone": {"UTC"}, "type": {"ping"},
			"payload.url": {"https://example.com/"}, "max_retries": {"3"}, "retry_delay": {"2s"}, "timeout": {"30s"}}
	}
	var created []int
	for range 3 {
		created = append(created, s.postPage(cookie, "/jobs", form()))
	}
	if created[0] != http.StatusSeeOther || created[1] != http.StatusSeeOther || created[2] != http.StatusTooManyRequests {
		t.Fatalf("three jobs from the dashboard: %v, want 303, 303, 429", created)
	}
	jobs, err := s.q.JobList(t.Context(), sqlcgen.JobListParams{MaxRows: 10})
	if err != nil || len(jobs) != 2 {
		t.Fatalf("%d jobs, %v", len(jobs), err)
	}
	run := fmt.Sprintf("/jobs/%d/run", jobs[0].ID)
	var runs []int
	for range 2 {
		runs = append(runs, s.postPage(cookie, run, url.Values{}))
	}
	// The API's Run now counts with the dashboard's.
	code, _ := s.basicJSON(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", jobs[0].ID), testAdmin, testPassword, "")
	if runs[0] != http.StatusSeeOther || runs[1] != http.StatusSeeOther || code != http.StatusTooManyRequests {
		t.Fatalf("three runs now: %v then %d, want 303, 303, 429", runs, code)
	}
}

func TestAnswersThatCanHoldSecretsAreNotCached(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	cookie := f.login()
	for _, path := range []string{fmt.Sprintf("/jobs/%d/edit", f.job.ID), fmt.Sprintf("/jobs/new?from=%d", f.job.ID), fmt.Sprintf("/api/jobs/%d", f.job.ID)} {
		rec := f.send(http.MethodGet, path, nil, "Cookie", cookie)
		if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q, want no-store", path, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
	if cc := f.send(http.MethodGet, assetURLs().AppCSS, nil).Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("an asset: Cache-Control %q, want it kept", cc)
	}
}

func TestTheMetricsTokenMustComeAsABearerToken(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{MetricsToken: "scrape-me"}))
	for _, header := range []string{"scrape-me", "Basic scrape-me", "Token scrape-me"} {
		if rec := l.send(http.MethodGet, "/metrics", nil, "Authorization", header); rec.Code != http.StatusUnauthorized {
			t.Errorf("Authorization: %s: %d, want 401", header, rec.Code)
		}
	}
}
