package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/dbtest"
)

func TestSchedulePresetsWriteTheirCronSpec(t *testing.T) {
	t.Parallel()
	d := setup(t)
	for _, tc := range []struct {
		mode   string
		fields map[string]string
		cron   string
	}{
		{"minutes", map[string]string{"every_minutes": "15"}, "*/15 * * * *"},
		{"hours", map[string]string{"every_hours": "6", "minute": "5"}, "5 */6 * * *"},
		{"simple", map[string]string{"hour": "2", "minute": "30"}, "30 2 * * *"},
		{"weekdays", map[string]string{"hour": "9", "minute": "0"}, "0 9 * * 1-5"},
		{"weekly", map[string]string{"weekday": "0", "hour": "18", "minute": "45"}, "45 18 * * 0"},
		{"monthly", map[string]string{"month_day": "31", "hour": "23", "minute": "59"}, "59 23 31 * *"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			f := validForm()
			f.Set("name", "Preset "+tc.mode)
			f.Set("mode", tc.mode)
			f.Set("hour", "")
			f.Set("minute", "")
			for k, v := range tc.fields {
				f.Set(k, v)
			}
			rec := d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin")
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("%d; body %.800s", rec.Code, rec.Body)
			}
			doc := d.page(rec.Header().Get("Location"), false, http.StatusOK)
			if got := find(t, doc, "job-cron").Text(); got != tc.cron {
				t.Errorf("cron = %q, want %q", got, tc.cron)
			}
			// Editing the job opens it in its preset, with its values.
			if mode, values := presetFromCron(tc.cron); mode != tc.mode || len(values) != len(tc.fields) {
				t.Errorf("presetFromCron(%q) = %q %v, want %q %v", tc.cron, mode, values, tc.mode, tc.fields)
			}
		})
	}
	if mode, _ := presetFromCron("*/7 * * * *"); mode != modeAdvanced {
		t.Errorf("*/7, which no preset writes, opens in %q", mode)
	}
}

func TestSchedulePresetsNameTheFieldAtFault(t *testing.T) {
	t.Parallel()
	d := setup(t)
	for _, tc := range []struct {
		mode   string
		fields map[string]string
		field  string
		want   string
	}{
		{"minutes", map[string]string{"every_minutes": "7"}, "every_minutes", "The number of minutes must be one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30"},
		{"hours", map[string]string{"every_hours": "5", "minute": "0"}, "every_hours", "The number of hours must be one of 1, 2, 3, 4, 6, 8 or 12"},
		{"monthly", map[string]string{"month_day": "32", "hour": "1", "minute": "0"}, "month_day", "The day of the month must be a whole number from 1 to 31."},
		{"weekly", map[string]string{"weekday": "1", "hour": "", "minute": "0"}, "hour", "The hour is required."},
		{"weekdays", map[string]string{"hour": "9", "minute": "60"}, "minute", "The minute must be a whole number from 0 to 59."},
	} {
		f := validForm()
		f.Set("mode", tc.mode)
		for k, v := range tc.fields {
			f.Set(k, v)
		}
		doc := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
		if got := find(t, doc, strings.ReplaceAll(tc.field, ".", "-")+"-error").Text(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s-error = %q, want %q", tc.mode, tc.field, got, tc.want)
		}
		if got := find(t, doc, "cron-error").Text(); got != "" {
			t.Errorf("%s: the cron field, hidden in a preset, has a problem too: %q", tc.mode, got)
		}
		if !find(t, doc, "mode-"+tc.mode).Is("[checked]") {
			t.Errorf("%s: the form came back in another mode", tc.mode)
		}
	}
}

func TestTheSummaryFollowsTheFormAsTyped(t *testing.T) {
	t.Parallel()
	d := setup(t)
	f := validForm()
	f.Set("mode", "minutes")
	f.Set("every_minutes", "15")
	f.Set("max_retries", "2")
	f.Set("retry_backoff", "exponential")
	doc := d.parse(d.send(http.MethodPost, "/jobs/summary", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusOK)
	if got := find(t, doc, "schedule-words").Text(); got != "Every 15 minutes" {
		t.Errorf("words = %q", got)
	}
	if n := doc.Find("[data-testid=next-run]").Length(); n != 5 {
		t.Errorf("%d next runs, want 5", n)
	}
	if got := find(t, doc, "summary-what").Text(); !strings.Contains(got, "https://example.com/health") {
		t.Errorf("what = %q", got)
	}
	if got := find(t, doc, "summary-retries").Text(); !strings.Contains(got, "Up to 2 retries, first after 2 seconds, then doubling") {
		t.Errorf("retries = %q", got)
	}
	f.Set("every_minutes", "7")
	doc = d.parse(d.send(http.MethodPost, "/jobs/summary", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusOK)
	if got := find(t, doc, "every_minutes-error"); got.AttrOr("hx-swap-oob", "") != "true" || !strings.Contains(got.Text(), "must be one of") {
		t.Errorf("every_minutes-error = %q (oob %q)", got.Text(), got.AttrOr("hx-swap-oob", ""))
	}
}

func TestStartPausedAndClonesStartPaused(t *testing.T) {
	t.Parallel()
	d := setup(t)

	t.Run("StartPaused", func(t *testing.T) {
		f := validForm()
		f.Set("name", "Quiet")
		f.Set("paused", "true")
		rec := d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%d; body %.500s", rec.Code, rec.Body)
		}
		id := mustID(t, strings.TrimPrefix(rec.Header().Get("Location"), "/jobs/"))
		if !d.storedPaused(id) {
			t.Error("the job was created active")
		}
		if flash := flashText(rec); !strings.Contains(flash, "paused") {
			t.Errorf("flash %q does not say the job is paused", flash)
		}
	})
	t.Run("TheNewJobFormOffersItUnticked", func(t *testing.T) {
		doc := d.page("/jobs/new", false, http.StatusOK)
		if box := find(t, doc, "paused-input"); box.Is("[checked]") {
			t.Error("Start paused is ticked on a new job")
		}
		if doc.Find("[data-testid=clone-note]").Length() != 0 {
			t.Error("a new job says it is a copy")
		}
	})
	t.Run("ACloneIsPausedAndSaysWhy", func(t *testing.T) {
		j := dbtest.InsertJob(d.t, d.q, dbtest.Job("Prod hook", "ping", `{"url":"https://example.com/hook"}`, "*/5 * * * *"))
		doc := d.page("/jobs/new?from="+itoa64(j.ID), false, http.StatusOK)
		if !find(t, doc, "paused-input").Is("[checked]") {
			t.Error("Start paused is not ticked on a copy")
		}
		if got := find(t, doc, "clone-note").Text(); !strings.Contains(got, "The copy is paused so it does not fire the same webhook; resume it when ready") {
			t.Errorf("clone note = %q", got)
		}
		form := formValues(doc)
		rec := d.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%d; body %.800s", rec.Code, rec.Body)
		}
		id := mustID(t, strings.TrimPrefix(rec.Header().Get("Location"), "/jobs/"))
		if !d.storedPaused(id) {
			t.Error("the copy was created active: it would fire the same webhook")
		}
		if flash := flashText(rec); !strings.Contains(flash, "does not fire the same webhook") {
			t.Errorf("flash %q does not say why the copy is paused", flash)
		}
	})
}

// flashText is the flash message a response set, as the next page shows it.
func flashText(rec *httptest.ResponseRecorder) string {
	v, _ := url.QueryUnescape(cookieValue(rec, flashCookie))
	return v
}

// formValues are what a browser posts from the page's job form as it stands: its inputs (boxes and
// radio buttons when ticked), the chosen options and the text areas.
func formValues(doc *goquery.Document) url.Values {
	v := url.Values{}
	doc.Find("#job-form input[name]").Each(func(_ int, in *goquery.Selection) {
		typ := in.AttrOr("type", "text")
		if (typ == "checkbox" || typ == "radio") && !in.Is("[checked]") {
			return
		}
		v.Add(in.AttrOr("name", ""), in.AttrOr("value", "on"))
	})
	doc.Find("#job-form select[name]").Each(func(_ int, sel *goquery.Selection) {
		opt := sel.Find("option[selected]")
		if opt.Length() == 0 {
			opt = sel.Find("option").First()
		}
		v.Add(sel.AttrOr("name", ""), opt.AttrOr("value", ""))
	})
	doc.Find("#job-form textarea[name]").Each(func(_ int, ta *goquery.Selection) {
		v.Add(ta.AttrOr("name", ""), ta.Text())
	})
	return v
}
