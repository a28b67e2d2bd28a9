package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"

	"github.com/PuerkitoBio/goquery"
)

func TestTheRunsPageFiltersByJobName(t *testing.T) {
	t.Parallel()
	d := setup(t)
	billing := dbtest.InsertJob(t, d.q, pingJobParams("Nightly billing check"))
	invoices := dbtest.InsertJob(t, d.q, pingJobParams("Warm the invoice cache"))
	dbtest.InsertJob(t, d.q, pingJobParams("Nightly backup"))
	dbtest.InsertRun(t, d.q, billing.ID, "completed", "ok", "")
	dbtest.InsertRun(t, d.q, invoices.ID, "completed", "ok", "")
	runsOf := func(t *testing.T, query url.Values) (string, int) {
		t.Helper()
		doc := d.page("/runs?"+query.Encode(), false, http.StatusOK)
		return doc.Find(`[data-testid="runs-job-id"]`).AttrOr("value", ""), doc.Find(`[data-testid="run-row"]`).Length()
	}
	for name, tc := range map[string]struct {
		query  url.Values
		wantID string
		rows   int
	}{
		"TheExactNameInAnyCase":           {url.Values{"job": {"nightly BILLING check"}}, itoa64(billing.ID), 1},
		"ThePartOfANameOnlyOneJobHas":     {url.Values{"job": {"invoice"}}, itoa64(invoices.ID), 1},
		"TheIDOfThePickedSuggestion":      {url.Values{"job": {"Nightly billing check"}, "job_id": {itoa64(billing.ID)}}, itoa64(billing.ID), 1},
		"ANameTypedOverAStaleID":          {url.Values{"job": {"invoice"}, "job_id": {itoa64(billing.ID)}}, itoa64(invoices.ID), 1},
		"AnIDAloneAsLinksHaveIt":          {url.Values{"job_id": {itoa64(invoices.ID)}}, itoa64(invoices.ID), 1},
		"ANameInTheIDWithoutJavaScript":   {url.Values{"job_id": {"billing"}}, itoa64(billing.ID), 1},
		"AnEmptyFieldShowsEveryJobsRuns":  {url.Values{"job": {""}, "job_id": {itoa64(billing.ID)}}, "", 2},
		"ANameSeveralJobsHaveShowsNoRuns": {url.Values{"job": {"Nightly"}}, "", 0},
	} {
		t.Run(name, func(t *testing.T) {
			id, rows := runsOf(t, tc.query)
			if id != tc.wantID || rows != tc.rows {
				t.Errorf("%v: job_id %q with %d rows, want %q with %d", tc.query, id, rows, tc.wantID, tc.rows)
			}
		})
	}
	t.Run("AmbiguousNamesSaySo", func(t *testing.T) {
		doc := d.page("/runs?job=Nightly", false, http.StatusOK)
		if got := find(t, doc, "runs-note").Text(); !strings.Contains(got, "No single job is named “Nightly”") {
			t.Errorf("note %q", got)
		}
		if got := find(t, doc, "runs-job-filter").AttrOr("value", ""); got != "Nightly" {
			t.Errorf("the picker holds %q, want what was typed", got)
		}
	})
	t.Run("ThePollKeepsTheJob", func(t *testing.T) {
		doc := d.page("/runs?job=invoice", false, http.StatusOK)
		poll := find(t, doc, "runs-table").AttrOr("hx-get", "")
		if poll != "/runs/table?job_id="+itoa64(invoices.ID) {
			t.Errorf("the table polls %q, want the job by id", poll)
		}
	})
	t.Run("SuggestionsAreTheJobsWhoseNameHasWhatWasTyped", func(t *testing.T) {
		doc := d.page("/runs/job-options?job=nightly", true, http.StatusOK)
		var names []string
		doc.Find("#runs-job-options option").Each(func(_ int, o *goquery.Selection) {
			names = append(names, o.AttrOr("value", "")+"="+o.AttrOr("data-id", ""))
		})
		if len(names) != 2 || !strings.Contains(strings.Join(names, ","), "Nightly billing check="+itoa64(billing.ID)) {
			t.Errorf("suggestions for “nightly”: %v", names)
		}
		if n := d.page("/runs/job-options", true, http.StatusOK).Find("#runs-job-options option").Length(); n != 3 {
			t.Errorf("with nothing typed, %d suggestions; want the newest jobs (3)", n)
		}
	})
}
