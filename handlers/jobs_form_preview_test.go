package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

func TestASubMinuteSchedulePreviewsToTheSecond(t *testing.T) {
	t.Parallel()
	d := setup(t)
	check := func(cron string, withSeconds bool) {
		t.Helper()
		q := url.Values{"mode": {"advanced"}, "cron": {cron}, "timezone": {"UTC"}}
		doc := d.page("/jobs/schedule?"+q.Encode(), true, http.StatusOK)
		seen := map[string]bool{}
		find(t, doc, "next-run").Each(func(_ int, row *goquery.Selection) {
			local := row.Find("td").First().Text()
			seen[local] = true
			if got := regexp.MustCompile(`\d\d:\d\d:\d\d UTC$`).MatchString(local); got != withSeconds {
				t.Errorf("%s: next run %q shows seconds: %v, want %v", cron, local, got, withSeconds)
			}
		})
		if len(seen) != 5 {
			t.Errorf("%s: %d different next runs, want 5", cron, len(seen))
		}
	}
	check("*/10 * * * * *", true)
	check("@every 45s", true)
	check("*/5 * * * *", false)
}

func TestDurationsAreWordedWithoutGosFormat(t *testing.T) {
	t.Parallel()
	d := setup(t)
	f := validForm()
	f.Set("retry_delay", "2h")
	page := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
	got := find(t, page, "retry_delay-error").Text()
	if got != "The retry delay must be a duration from 1 second to 1 hour, such as 30s or 5m." {
		t.Errorf("retry delay problem %q", got)
	}
	job := dbtest.InsertJob(t, d.q, dbtest.Job("Hourly retries", "ping", `{"url":"https://example.com"}`, "@hourly"))
	if _, err := d.q.JobUpdate(t.Context(), sqlcgen.JobUpdateParams{Catchup: schedule.CatchupLatest,
		ID: job.ID, Name: job.Name, Type: job.Type, Payload: job.Payload, Cron: job.Cron, Timezone: job.Timezone,
		MaxRetries: 3, RetryDelayMs: 3600000, TimeoutMs: job.TimeoutMs, NextRunAt: job.NextRunAt,
	}); err != nil {
		t.Fatal(err)
	}
	edit := d.page("/jobs/"+itoa64(job.ID)+"/edit", false, http.StatusOK)
	if got := find(t, edit, "retry_delay-input").AttrOr("value", ""); got != "1h" {
		t.Errorf("the edit form shows the retry delay as %q, want 1h", got)
	}
	detail := d.page("/jobs/"+itoa64(job.ID), false, http.StatusOK)
	if got := strings.Join(strings.Fields(find(t, detail, "job-retries").Text()), " "); got != "3 retries, 1 hour apart" {
		t.Errorf("the job page says %q", got)
	}
}
