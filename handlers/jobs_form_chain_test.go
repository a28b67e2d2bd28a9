package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestJobFormCarriesOverlapAfterParamsAndPause(t *testing.T) {
	t.Parallel()
	d := setup(t)
	up := d.createJob(pingJob)
	f := validForm()
	f.Set("mode", "advanced")
	f.Set("cron", "")
	f.Set("payload.url", "https://example.com/{{params.region}}")
	f.Set("overlap", "skip")
	f.Set("after.job_id", strconv.FormatInt(up.ID, 10))
	f.Set("after.on", "settled")
	f.Set("params", "region=eu\ntier=gold")
	f.Set("pause_after_failures", "4")
	rec := d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("%d; %.800s", rec.Code, rec.Body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(rec.Header().Get("Location"), "/jobs/"), 10, 64)
	stored := d.storedJob(id)
	var params map[string]string
	_ = json.Unmarshal(stored.Params, &params)
	if stored.Overlap != "skip" || stored.AfterJobID == nil || *stored.AfterJobID != up.ID || stored.AfterOn != "settled" ||
		params["region"] != "eu" || params["tier"] != "gold" || stored.PauseAfterFailures != 4 || stored.Cron != "" {
		t.Errorf("stored: overlap %q after %v on %q params %v pause %d cron %q", stored.Overlap, stored.AfterJobID,
			stored.AfterOn, params, stored.PauseAfterFailures, stored.Cron)
	}
	t.Run("TheJobPageShowsThem", func(t *testing.T) {
		doc := d.page(fmt.Sprintf("/jobs/%d", id), false, http.StatusOK)
		if got := find(t, doc, "job-overlap").Text(); !strings.Contains(got, "skip") {
			t.Errorf("overlap = %q", got)
		}
		if got := find(t, doc, "job-after").Text(); !strings.Contains(got, fmt.Sprint(up.ID)) {
			t.Errorf("after = %q", got)
		}
		if got := doc.Find(`[data-testid="job-param"]`).Length(); got != 2 {
			t.Errorf("%d params shown, want 2", got)
		}
	})
	t.Run("TheEditFormIsFilledIn", func(t *testing.T) {
		doc := d.page(fmt.Sprintf("/jobs/%d/edit", id), false, http.StatusOK)
		if got := doc.Find(`textarea[name="params"]`).Text(); got != "region=eu\ntier=gold" {
			t.Errorf("params textarea = %q", got)
		}
		if got, _ := doc.Find(`input[name="after.job_id"]`).Attr("value"); got != fmt.Sprint(up.ID) {
			t.Errorf("after job = %q", got)
		}
	})
	t.Run("ABadParamsLineIsAProblemOnItsField", func(t *testing.T) {
		f.Set("params", "region")
		doc := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
		if doc.Find("#error-params").Text() == "" {
			t.Errorf("no params problem shown")
		}
		if n, _ := d.q.JobCount(context.Background()); n != 2 {
			t.Errorf("%d jobs stored, want 2", n)
		}
	})
}
