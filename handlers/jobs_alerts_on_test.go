package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// alerts.on in the job form (issues 21 and 22): a box per event, checked like the API, shown on
// the job's page.

func TestAlertEventsInTheFormAndOnThePage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ops := f.channel("ops", false)
	fresh := f.page("/jobs/new", false, http.StatusOK)
	for event, want := range map[string]bool{"failing": true, "recovered": true, "skipped": false, "missed": false, "paused": false} {
		if _, checked := find(t, fresh, "alerts-on-"+event).Attr("checked"); checked != want {
			t.Errorf("a new job's %s box checked: %v, want %v", event, checked, want)
		}
	}
	form := url.Values{"name": {"from form"}, "mode": {"advanced"}, "cron": {"@hourly"}, "timezone": {"UTC"}, "type": {"ping"},
		"payload.url": {"https://example.com"}, "max_retries": {"3"}, "retry_delay": {"2s"}, "timeout": {"30s"},
		"alerts.after": {"1"}, "alerts.channels": {itoa64(ops)}, "alerts.on_shown": {"1"}, "alerts.on": {"failing", "exploded"}}
	rec := f.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin", "HX-Request", "true")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `data-testid="alerts-on-error"`) ||
		!strings.Contains(rec.Body.String(), "must list events among failing, recovered, skipped, missed, paused") {
		t.Fatalf("an unknown event: %d, want 422 with the problem under the boxes: %s", rec.Code, rec.Body)
	}
	if f.jobCount() != 0 {
		t.Fatal("a refused form stored a job")
	}

	form["alerts.on"] = []string{"failing", "skipped", "missed"}
	rec = f.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var id int64
	fmt.Sscanf(rec.Header().Get("Location"), "/jobs/%d", &id)
	if got := strings.Join(f.storedJob(id).AlertOn, ","); got != "failing,skipped,missed" {
		t.Fatalf("the form stored alerts.on %q", got)
	}
	line := strings.Join(strings.Fields(find(t, f.page(fmt.Sprintf("/jobs/%d", id), false, http.StatusOK), "job-alerts-on").Text()), " ")
	if line != "They hear of: failing, skipped, missed." {
		t.Errorf("alert line's events = %q", line)
	}
	edit := f.page(fmt.Sprintf("/jobs/%d/edit", id), false, http.StatusOK)
	for event, want := range map[string]bool{"failing": true, "recovered": false, "skipped": true, "missed": true, "paused": false} {
		if _, checked := find(t, edit, "alerts-on-"+event).Attr("checked"); checked != want {
			t.Errorf("the edit form's %s box checked: %v, want %v", event, checked, want)
		}
	}

	// A post without the boxes (an older form) keeps the job's events; one with none ticked has none.
	form.Del("alerts.on_shown")
	form.Del("alerts.on")
	f.send(http.MethodPost, fmt.Sprintf("/jobs/%d", id), formBody(form), "Sec-Fetch-Site", "same-origin")
	if got := strings.Join(f.storedJob(id).AlertOn, ","); got != "failing,skipped,missed" {
		t.Errorf("a post without the boxes stored alerts.on %q", got)
	}
	form.Set("alerts.on_shown", "1")
	rec = f.send(http.MethodPost, fmt.Sprintf("/jobs/%d", id), formBody(form), "Sec-Fetch-Site", "same-origin")
	if got := f.storedJob(id).AlertOn; rec.Code != http.StatusSeeOther || len(got) != 0 {
		t.Errorf("no box ticked: %d, stored alerts.on %q", rec.Code, got)
	}
}
