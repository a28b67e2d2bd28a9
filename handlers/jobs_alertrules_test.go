package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The alert rules that cut noise (issue 22): alerts.repeat and alerts.flap_window, through the
// API, the form, the job's page, export and import, and the audit log.

func TestAlertRulesThroughTheAPI(t *testing.T) {
	t.Parallel()
	json := []string{"Content-Type", "application/json"}
	job := func(alerts string) string {
		return `{"name": "Nightly", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": ` + alerts + `}`
	}
	getAlerts := func(f *fixture, id int64) alertsJSON {
		var got struct {
			Alerts alertsJSON `json:"alerts"`
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs/%d", id), nil), http.StatusOK, &got)
		return got.Alerts
	}
	text := func(s *string) string {
		if s == nil {
			return "null"
		}
		return *s
	}
	t.Run("RulesAreStoredShownAndTurnedOffByAlertsWithoutThem", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(job(`{"channels": [], "after": 2, "repeat": "1h", "flap_window": "30m"}`))
		if got := f.storedJob(j.ID); got.AlertRepeatMs != time.Hour.Milliseconds() || got.AlertFlapWindowMs != (30*time.Minute).Milliseconds() {
			t.Fatalf("stored rules = %d ms, %d ms", got.AlertRepeatMs, got.AlertFlapWindowMs)
		}
		if a := getAlerts(f, j.ID); text(a.Repeat) != "1h0m0s" || text(a.FlapWindow) != "30m0s" || a.After != 2 {
			t.Errorf("alerts shown = repeat %s, flap_window %s, after %d", text(a.Repeat), text(a.FlapWindow), a.After)
		}
		noAlerts := `{"name": "Nightly", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com"}}`
		f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", j.ID), jsonBody(noAlerts), json...), http.StatusOK, nil)
		if a := getAlerts(f, j.ID); text(a.Repeat) != "1h0m0s" || text(a.FlapWindow) != "30m0s" {
			t.Errorf("an update without alerts changed the rules: %s, %s", text(a.Repeat), text(a.FlapWindow))
		}
		f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", j.ID), jsonBody(job(`{"channels": [], "repeat": null}`)), json...), http.StatusOK, nil)
		if a := getAlerts(f, j.ID); a.Repeat != nil || a.FlapWindow != nil {
			t.Errorf("alerts without rules left them on: %s, %s", text(a.Repeat), text(a.FlapWindow))
		}
	})
	for name, tc := range map[string]struct{ alerts, field string }{
		"RepeatBelowFiveMinutes": {`{"channels": [], "repeat": "1m"}`, "alerts.repeat"},
		"RepeatAboveSevenDays":   {`{"channels": [], "repeat": "200h"}`, "alerts.repeat"},
		"RepeatAsTrue":           {`{"channels": [], "repeat": true}`, "alerts.repeat"},
		"FlapWindowAsWord":       {`{"channels": [], "flap_window": "soon"}`, "alerts.flap_window"},
		"FlapWindowOfSeconds":    {`{"channels": [], "flap_window": 30}`, "alerts.flap_window"},
	} {
		t.Run(name+"Is422", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			p := f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(job(tc.alerts)), json...), http.StatusUnprocessableEntity, tc.field)
			if len(p.Fields) != 1 {
				t.Errorf("problems = %v, want only %s", p.Fields, tc.field)
			}
			if f.jobCount() != 0 {
				t.Error("a rejected job was stored")
			}
		})
	}
	t.Run("ExportImportAndTheAuditLogCarryTheRules", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(job(`{"channels": [], "repeat": "1h"}`))
		exported := f.export()
		alerts := exportedAlerts(t, exported)["Nightly"].(map[string]any)
		if alerts["repeat"] != "1h0m0s" || alerts["flap_window"] != nil {
			t.Fatalf("exported alerts = %v", alerts)
		}
		if res := f.importDoc("", `{"version": 1, "jobs": [`+joinRaw(exported.Jobs)+`]}`); *res != (apiImportResult{Unchanged: 1}) {
			t.Fatalf("re-import = %+v, want unchanged", res)
		}
		changed := strings.NewReplacer(`"repeat":"1h0m0s"`, `"repeat":"2h"`, `"flap_window":null`, `"flap_window":"10m"`).Replace(joinRaw(exported.Jobs))
		if res := f.importDoc("", `{"version": 1, "jobs": [`+changed+`]}`); *res != (apiImportResult{Updated: 1}) {
			t.Fatalf("import of changed rules = %+v (document %s)", res, changed)
		}
		if got := f.storedJob(j.ID); got.AlertRepeatMs != (2*time.Hour).Milliseconds() || got.AlertFlapWindowMs != (10*time.Minute).Milliseconds() {
			t.Errorf("imported rules = %d ms, %d ms", got.AlertRepeatMs, got.AlertFlapWindowMs)
		}
		e := f.audit("/api/audit?limit=1").Entries
		if len(e) != 1 || e[0].Changes["alerts.repeat"].From != "1h0m0s" || e[0].Changes["alerts.repeat"].To != "2h0m0s" ||
			e[0].Changes["alerts.flap_window"].From != nil || e[0].Changes["alerts.flap_window"].To != "10m0s" {
			t.Fatalf("audit of the rules' change = %+v", e)
		}
	})
}

func TestAlertRulesInTheFormAndOnThePage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ops := f.channel("ops", false)
	form := url.Values{"name": {"from form"}, "mode": {"advanced"}, "cron": {"@hourly"}, "timezone": {"UTC"}, "type": {"ping"},
		"payload.url": {"https://example.com"}, "max_retries": {"3"}, "retry_delay": {"2s"}, "timeout": {"30s"},
		"alerts.after": {"3"}, "alerts.channels": {itoa64(ops)}, "alerts.repeat": {"2m"}, "alerts.flap_window": {"30m"}}
	rec := f.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `data-testid="alerts-repeat-error"`) ||
		!strings.Contains(rec.Body.String(), "The reminder interval must be a duration from 5 minutes to 168 hours") {
		t.Fatalf("a 2m reminder: %d, want 422 with the problem under its field", rec.Code)
	}
	if f.jobCount() != 0 {
		t.Fatal("a refused form stored a job")
	}
	form.Set("alerts.repeat", "1h")
	rec = f.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var id int64
	fmt.Sscanf(rec.Header().Get("Location"), "/jobs/%d", &id)
	if got := f.storedJob(id); got.AlertRepeatMs != time.Hour.Milliseconds() || got.AlertFlapWindowMs != (30*time.Minute).Milliseconds() {
		t.Fatalf("the form stored rules %d ms, %d ms", got.AlertRepeatMs, got.AlertFlapWindowMs)
	}
	line := strings.Join(strings.Fields(find(t, f.page(fmt.Sprintf("/jobs/%d", id), false, http.StatusOK), "job-alerts").Text()), " ")
	if want := "Alerts go to ops after 3 failed runs in a row, again every 1 hour while failing, at most one failing and recovered pair per 30 minutes."; line != want {
		t.Errorf("alert line = %q, want %q", line, want)
	}
	edit := f.page(fmt.Sprintf("/jobs/%d/edit", id), false, http.StatusOK)
	if r, w := find(t, edit, "alerts-repeat-input").AttrOr("value", ""), find(t, edit, "alerts-flap-window-input").AttrOr("value", ""); r != "1h" || w != "30m" {
		t.Errorf("edit form shows repeat %q, flap window %q; want 1h and 30m", r, w)
	}
	form.Set("alerts.repeat", "")
	form.Set("alerts.flap_window", "")
	rec = f.send(http.MethodPost, fmt.Sprintf("/jobs/%d", id), formBody(form), "Sec-Fetch-Site", "same-origin")
	if got := f.storedJob(id); rec.Code != http.StatusSeeOther || got.AlertRepeatMs != 0 || got.AlertFlapWindowMs != 0 {
		t.Errorf("emptied rules: %d, stored %d ms, %d ms; want both off", rec.Code, got.AlertRepeatMs, got.AlertFlapWindowMs)
	}
}
