package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

func sqlcgenPause(id int64) sqlcgen.JobSetPausedParams {
	return sqlcgen.JobSetPausedParams{ID: id, Paused: true}
}

func (d *fixture) storedPaused(id int64) bool {
	d.t.Helper()
	j, err := d.q.JobGet(context.Background(), id)
	if err != nil {
		d.t.Fatalf("get job %d: %v", id, err)
	}
	return j.Paused
}

func cookieValue(rec *httptest.ResponseRecorder, name string) string {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// validForm is a complete form for a daily ping.
func validForm() url.Values {
	return url.Values{
		"name": {"Health"}, "mode": {"simple"}, "hour": {"2"}, "minute": {"30"}, "timezone": {"Europe/Berlin"},
		"type": {"ping"}, "payload.url": {"https://example.com/health"},
		"max_retries": {"3"}, "retry_delay": {"2s"}, "timeout": {"30s"},
	}
}

func TestCreateJobFromTheForm(t *testing.T) {
	t.Parallel()
	d := setup(t)

	t.Run("PlainPostRedirectsToTheNewJob", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs", formBody(validForm()), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/jobs/") {
			t.Fatalf("%d to %q; body %.500s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		id := strings.TrimPrefix(rec.Header().Get("Location"), "/jobs/")
		doc := d.page("/jobs/"+id, false, http.StatusOK)
		if got := find(t, doc, "job-cron").Text(); got != "30 2 * * *" {
			t.Errorf("cron = %q", got)
		}
		if got := find(t, doc, "job-catchup").Text(); got != schedule.CatchupLatest.Label() {
			t.Errorf("missed runs = %q, want the default, %q", got, schedule.CatchupLatest.Label())
		}
		if !strings.Contains(cookieValue(rec, flashCookie), "Created") {
			t.Error("no flash message")
		}
	})
	t.Run("TheCatchupPolicyIsChosenInTheForm", func(t *testing.T) {
		doc := d.page("/jobs/new", false, http.StatusOK)
		if n := find(t, doc, "catchup-input").Find("option").Length(); n != len(schedule.Catchups()) {
			t.Errorf("%d catch-up options, want %d", n, len(schedule.Catchups()))
		}
		f := validForm()
		f.Set("catchup", "all")
		rec := d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%d; body %.500s", rec.Code, rec.Body)
		}
		doc = d.page(rec.Header().Get("Location"), false, http.StatusOK)
		if got := find(t, doc, "job-catchup").Text(); got != schedule.CatchupAll.Label() {
			t.Errorf("missed runs = %q, want %q", got, schedule.CatchupAll.Label())
		}
		f.Set("catchup", "sometimes")
		doc = d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
		if got := find(t, doc, "catchup-error").Text(); !strings.Contains(got, "Missed runs must be latest, all or none") {
			t.Errorf("catchup-error = %q", got)
		}
	})
	t.Run("HTMXPostRedirectsWithHXRedirect", func(t *testing.T) {
		f := validForm()
		f.Set("mode", "advanced")
		f.Set("cron", "*/5 * * * *")
		f.Set("type", "email")
		f.Set("payload.to", "a@example.com, b@example.com")
		f.Set("payload.subject", "Report")
		f.Set("payload.body", "Hello")
		rec := d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true")
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("HX-Redirect"), "/jobs/") {
			t.Fatalf("%d, HX-Redirect %q; body %.500s", rec.Code, rec.Header().Get("HX-Redirect"), rec.Body)
		}
	})
	t.Run("ProblemsComeBackWith422AndTheInput", func(t *testing.T) {
		f := validForm()
		f.Set("mode", "advanced")
		f.Set("cron", "61 * * * *")
		f.Set("payload.url", "ftp://nope")
		for _, htmx := range []bool{false, true} {
			doc := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", strconv.FormatBool(htmx)), http.StatusUnprocessableEntity)
			if isFragment(doc) != htmx {
				t.Errorf("htmx=%v: fragment = %v", htmx, isFragment(doc))
			}
			if got := find(t, doc, "cron-error").Text(); !strings.Contains(got, "minute field “61”") {
				t.Errorf("cron-error = %q", got)
			}
			if got := find(t, doc, "payload-url-error").Text(); got == "" {
				t.Error("no error on the URL")
			}
			if got := find(t, doc, "cron-input").AttrOr("value", ""); got != "61 * * * *" {
				t.Errorf("the cron input was not kept: %q", got)
			}
			if got := find(t, doc, "name-input").AttrOr("value", ""); got != "Health" {
				t.Errorf("the name was not kept: %q", got)
			}
		}
	})
	t.Run("SimpleModeWantsHourAndMinute", func(t *testing.T) {
		f := validForm()
		f.Del("minute")
		doc := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusUnprocessableEntity)
		if got := find(t, doc, "minute-error").Text(); got != "The minute is required." {
			t.Errorf("minute-error = %q", got)
		}
		if got := find(t, doc, "cron-error").Text(); got != "" {
			t.Errorf("cron-error = %q: the problem is the minute's", got)
		}
	})
	t.Run("InvalidWebhookJSON", func(t *testing.T) {
		f := validForm()
		f.Set("type", "webhook")
		f.Set("payload.body", "{not json")
		doc := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusUnprocessableEntity)
		if got := find(t, doc, "payload-body-error").Text(); !strings.Contains(got, "JSON") {
			t.Errorf("payload-body-error = %q", got)
		}
		if got := find(t, doc, "payload-body-input").Text(); got != "{not json" {
			t.Errorf("the body was not kept: %q", got)
		}
	})
}

func TestSchedulePreviewDescribesAndChecksAsThePersonTypes(t *testing.T) {
	t.Parallel()
	d := setup(t)
	doc := d.page("/jobs/schedule?mode=advanced&cron="+url.QueryEscape("*/5 * * * *")+"&timezone=Europe/Berlin", true, http.StatusOK)
	if got := find(t, doc, "schedule-words").Text(); got != "Every 5 minutes" {
		t.Errorf("words = %q", got)
	}
	next := find(t, doc, "next-run")
	if next.Length() != 5 || !strings.Contains(next.First().Text(), "Europe/Berlin") || !strings.Contains(next.First().Text(), "UTC") {
		t.Errorf("next runs: %d, %q", next.Length(), next.First().Text())
	}
	if got := find(t, doc, "cron-error").Text(); got != "" {
		t.Errorf("cron-error = %q", got)
	}

	bad := d.page("/jobs/schedule?mode=advanced&cron=61+*+*+*+*&timezone=UTC", true, http.StatusOK)
	if got := find(t, bad, "cron-error"); got.Text() == "" || got.AttrOr("hx-swap-oob", "") != "true" {
		t.Errorf("cron-error = %q, swapped out of band", got.Text())
	}
	if bad.Find(`[data-testid="schedule-words"]`).Length() != 0 {
		t.Error("no words for an invalid schedule")
	}
	simple := d.page("/jobs/schedule?mode=simple&hour=2&minute=30&timezone=UTC", true, http.StatusOK)
	if got := find(t, simple, "schedule-words").Text(); got != "At 02:30, every day" {
		t.Errorf("simple words = %q", got)
	}
	typing := d.page("/jobs/schedule?mode=simple&hour=2&timezone=UTC", true, http.StatusOK)
	if got := find(t, typing, "minute-error").Text(); got != "" {
		t.Errorf("a field not typed yet is not called a problem: %q", got)
	}
}

func TestTaskFieldsSwapWithTheType(t *testing.T) {
	t.Parallel()
	d := setup(t)
	doc := d.page("/jobs/task-fields?type=webhook&fields_type=ping&payload.url=https%3A%2F%2Fexample.com", true, http.StatusOK)
	if got := find(t, doc, "payload-url-input").AttrOr("value", ""); got != "https://example.com" {
		t.Errorf("the URL carries over: %q", got)
	}
	find(t, doc, "payload-body-input")
	email := d.page("/jobs/task-fields?type=email&fields_type=webhook&payload.body=%7B%7D", true, http.StatusOK)
	if got := find(t, email, "payload-body-input").Text(); got != "" {
		t.Errorf("a webhook's JSON does not become an email's text: %q", got)
	}
}

func TestEditAndCloneStartFromTheJob(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, dbtest.Job("Mail", "email", `{"to":["a@example.com","b@example.com"],"subject":"Hi","body":"Hello there"}`, "0 9 * * 1-5"))
	id := itoa64(j.ID)

	edit := d.page("/jobs/"+id+"/edit", false, http.StatusOK)
	if got := find(t, edit, "job-form").AttrOr("action", ""); got != "/jobs/"+id {
		t.Errorf("edit posts to %q", got)
	}
	if !find(t, edit, "mode-weekdays").Is("[checked]") {
		t.Error("a weekday cron opens in the Weekdays preset")
	}
	for tid, want := range map[string]string{"hour-input": "9", "minute-input": "0", "payload-to-input": "a@example.com, b@example.com", "name-input": "Mail"} {
		if got := find(t, edit, tid).AttrOr("value", ""); got != want {
			t.Errorf("%s = %q, want %q", tid, got, want)
		}
	}
	if got := find(t, edit, "payload-body-input").Text(); got != "Hello there" {
		t.Errorf("body = %q", got)
	}

	clone := d.page("/jobs/new?from="+id, false, http.StatusOK)
	if got := find(t, clone, "job-form").AttrOr("action", ""); got != "/jobs" {
		t.Errorf("a clone is created anew, posting to %q", got)
	}
	if got := find(t, clone, "name-input").AttrOr("value", ""); got != "Copy of Mail" {
		t.Errorf("clone name = %q", got)
	}

	f := url.Values{"name": {"Mail 2"}, "mode": {"simple"}, "hour": {"7"}, "minute": {"5"}, "timezone": {"UTC"},
		"type": {"email"}, "payload.to": {"c@example.com"}, "payload.subject": {"Hi"}, "payload.body": {"Hello"}}
	rec := d.send(http.MethodPost, "/jobs/"+id, formBody(f), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/jobs/"+id {
		t.Fatalf("%d to %q; %.500s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	stored, _ := d.q.JobGet(context.Background(), j.ID)
	if stored.Name != "Mail 2" || stored.Cron != "5 7 * * *" {
		t.Errorf("stored %q, %q", stored.Name, stored.Cron)
	}
	again := d.page("/jobs/"+id+"/edit", false, http.StatusOK)
	if !find(t, again, "mode-simple").Is("[checked]") || find(t, again, "hour-input").AttrOr("value", "") != "7" {
		t.Error("a daily job opens in the simple mode")
	}
}
