package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// channel creates a webhook channel through the API and returns its id.
func (f *fixture) channel(name string, isDefault bool) int64 {
	f.t.Helper()
	var ch channelJSON
	body := fmt.Sprintf(`{"name": %q, "type": "webhook", "config": {"url": "https://example.com/%s"}, "default": %v}`, name, name, isDefault)
	f.expect(f.send(http.MethodPost, "/api/channels", jsonBody(body), "Content-Type", "application/json"), http.StatusCreated, &ch)
	return ch.ID
}

// exportedAlerts are the alerts of each exported job, by name.
func exportedAlerts(t *testing.T, doc apiExport) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, j := range exportedJobs(t, doc) {
		m := j.(map[string]any)
		out[m["name"].(string)] = m["alerts"]
	}
	return out
}

func TestImportAndExportCarryAJobsAlerts(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ops, pager := f.channel("ops", true), f.channel("pager", false)
	doc := fmt.Sprintf(`{"version": 1, "jobs": [
		{"name": "Chosen", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": {"channels": [%d, %d], "after": 3}},
		{"name": "Defaults", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com"}}
	]}`, pager, ops)
	if res := f.importDoc("", doc); *res != (apiImportResult{Created: 2}) {
		t.Fatalf("import = %+v", res)
	}
	exported := f.export()
	want := map[string]any{
		"Chosen": map[string]any{"channels": []any{float64(pager), float64(ops)}, "after": float64(3),
			"on": []any{"failing", "recovered"}, "repeat": nil, "flap_window": nil},
		"Defaults": map[string]any{"channels": []any{float64(ops)}, "after": float64(1), // as POST /api/jobs does
			"on": []any{"failing", "recovered"}, "repeat": nil, "flap_window": nil},
	}
	if got := exportedAlerts(t, exported); !reflect.DeepEqual(got, want) {
		t.Fatalf("exported alerts = %v, want %v", got, want)
	}
	t.Run("TheExportImportsUnchanged", func(t *testing.T) {
		if res := f.importDoc("", `{"version": 1, "jobs": [`+joinRaw(exported.Jobs)+`]}`); *res != (apiImportResult{Unchanged: 2}) {
			t.Fatalf("re-import = %+v, want 2 unchanged", res)
		}
	})
	t.Run("AnUpsertWithoutAlertsKeepsTheJobsOwn", func(t *testing.T) {
		bare := `{"version": 1, "jobs": [{"name": "Chosen", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}]}`
		if res := f.importDoc("", bare); *res != (apiImportResult{Unchanged: 1}) {
			t.Fatalf("upsert without alerts = %+v, want unchanged", res)
		}
	})
	t.Run("AChangedAlertIsAnUpdateTheDryRunAndTheAuditLogCount", func(t *testing.T) {
		changed := strings.Replace(doc, `"after": 3`, `"after": 5`, 1)
		if res := f.importDoc("?dry_run=true", changed); *res != (apiImportResult{Updated: 1, Unchanged: 1, DryRun: true}) {
			t.Fatalf("dry run = %+v", res)
		}
		if res := f.importDoc("", changed); *res != (apiImportResult{Updated: 1, Unchanged: 1}) {
			t.Fatalf("upsert = %+v", res)
		}
		e := f.audit("/api/audit?limit=1").Entries
		if len(e) != 1 || e[0].Action != "job.update" || len(e[0].Changes) != 1 ||
			e[0].Changes["alerts.after"].From != float64(3) || e[0].Changes["alerts.after"].To != float64(5) {
			t.Fatalf("audit of the update = %+v", e)
		}
	})
}

// joinRaw joins exported jobs back into a document's list.
func joinRaw(jobs []json.RawMessage) string {
	parts := make([]string, len(jobs))
	for i, j := range jobs {
		parts[i] = string(j)
	}
	return strings.Join(parts, ",")
}

func TestImportChecksAlertsAsTheAPIDoes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	known := f.channel("ops", false)
	doc := fmt.Sprintf(`{"version": 1, "jobs": [
		{"name": "Fine", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": {"channels": [%d]}},
		{"name": "Unknown", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": {"channels": [%d, 999999]}},
		{"name": "Zero", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": {"channels": [], "after": 0}},
		{"name": "Text", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": "ops"}
	]}`, known, known)
	var got apiImportErrors
	f.expect(f.send(http.MethodPost, "/api/import", jsonBody(doc), "Content-Type", "application/json"), http.StatusUnprocessableEntity, &got)
	byIndex := map[int]map[string]string{}
	for _, e := range got.Errors {
		byIndex[e.Index] = e.Fields
	}
	if len(got.Errors) != 3 || !strings.Contains(byIndex[1]["alerts.channels"], "999999") || strings.Contains(byIndex[1]["alerts.channels"], fmt.Sprint(known)) ||
		byIndex[2]["alerts.after"] == "" || byIndex[3]["alerts"] == "" {
		t.Fatalf("errors = %+v", got.Errors)
	}
	if n := f.jobCount(); n != 0 {
		t.Fatalf("a refused document stored %d jobs", n)
	}
}

func TestTheAuditLogRecordsAChangeOfAlerts(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ops := f.channel("ops", false)
	job := f.createJob(`{"name": "Nightly", "type": "ping", "cron": "0 2 * * *", "payload": {"url": "https://example.com"}}`)
	body := fmt.Sprintf(`{"name": "Nightly", "type": "ping", "cron": "0 2 * * *", "payload": {"url": "https://example.com"}, "alerts": {"channels": [%d], "after": 2}}`, ops)
	f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", job.ID), jsonBody(body), "Content-Type", "application/json"), http.StatusOK, nil)
	e := f.audit("/api/audit?limit=1").Entries
	if len(e) != 1 || e[0].Action != "job.update" || fmt.Sprint(e[0].Changes["alerts.channels"].To) != fmt.Sprintf("[%d]", ops) ||
		e[0].Changes["alerts.after"].To != float64(2) {
		t.Fatalf("audit of the alerts' change = %+v", e)
	}
}
