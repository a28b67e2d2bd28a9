package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/task"
)

// The drift checks: what the code has and the document lacks, or the other way round, named so
// that the fix is one edit of handlers/openapi/openapi.yaml.

// TestOpenAPINamesEveryRoute compares the router's /api/ routes with the document's operations.
func TestOpenAPINamesEveryRoute(t *testing.T) {
	t.Parallel()
	doc := mustContract(t).doc
	e := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	param := regexp.MustCompile(`:([a-z_]+)`)
	routed := map[string]bool{}
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Path, "/api/") && r.Method != "echo_route_not_found" {
			routed[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, op := range sortedKeys(routed) {
		if !documented[op] {
			t.Errorf("%s is routed (routes.go) but not in handlers/openapi/openapi.yaml: add it under paths", op)
		}
	}
	for _, op := range sortedKeys(documented) {
		if !routed[op] {
			t.Errorf("%s is in handlers/openapi/openapi.yaml but not routed: remove it, or route it", op)
		}
	}
	if len(routed) < 30 {
		t.Errorf("only %d /api/ routes found; the router's routes were not read", len(routed))
	}
}

// TestOpenAPISchemasMatchTypes compares each schema's properties with the JSON fields of the Go
// type that writes or reads it, so that a field added to either is named until the other has it.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	t.Parallel()
	doc := mustContract(t).doc
	types := map[string]any{
		"Job": jobJSON{}, "JobInput": store.JobInput{}, "Alerts": alertsJSON{}, "AlertsInput": alertsJSON{},
		"Run": runJSON{}, "RunDetail": runDetailJSON{}, "Attempt": attemptJSON{}, "RetryInput": retryInput{},
		"Channel": channelJSON{}, "ChannelInput": channelInput{},
		"Secret": secretJSON{}, "SecretInput": secretInput{}, "JobRef": jobRef{},
		"User": userJSON{}, "UserInput": store.UserChange{}, "Token": tokenJSON{},
		"AuditEntry": auditJSON{}, "Error": apiError{},
		"ExportJob": store.ExportJob{}, "ImportResult": store.ImportResult{}, "ImportProblem": store.ImportProblem{},
		"ImportInvalid": importRefusal{},
	}
	for name, v := range types {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("components/schemas has no %s (for %T)", name, v)
			continue
		}
		inDoc := schemaProperties(ref.Value)
		inGo := jsonFields(reflect.TypeOf(v))
		for _, f := range inGo {
			if !slices.Contains(inDoc, f) {
				t.Errorf("schema %s lacks property %q, which %T has: add it to handlers/openapi/openapi.yaml", name, f, v)
			}
		}
		for _, f := range inDoc {
			if !slices.Contains(inGo, f) {
				t.Errorf("schema %s has property %q, which %T lacks: remove it from handlers/openapi/openapi.yaml", name, f, v)
			}
		}
	}
}

// TestOpenAPIEnumsMatchRegistries compares the document's enums with the registries that define
// the task types, channel types, run statuses and roles.
func TestOpenAPIEnumsMatchRegistries(t *testing.T) {
	t.Parallel()
	schemas := mustContract(t).doc.Components.Schemas
	var statuses []string
	for _, s := range runstatus.All() {
		statuses = append(statuses, s.String())
	}
	want := map[string][]string{
		"JobType":         task.Names(),
		"ChannelType":     notify.Names(),
		"RunStatus":       statuses,
		"RetryableStatus": retryableNames,
		"Role":            {string(roleViewer), string(roleEditor), string(roleAdmin)},
		// issue 21 (sched-b)
		"Overlap":    store.Overlaps,
		"AfterOn":    store.AfterOns,
		"AlertEvent": store.AlertEvents,
	}
	for name, values := range want {
		var got []string
		for _, v := range schemas[name].Value.Enum {
			got = append(got, v.(string))
		}
		sameSet(t, "enum of schema "+name, got, values)
	}
	runs := schemas["Stats"].Value.Properties["runs"].Value
	sameSet(t, "properties of schema Stats.runs", sortedKeys(runs.Properties), statuses)
	sameSet(t, "required of schema Stats.runs", runs.Required, statuses)
}

// sameSet reports the values one list has and the other lacks.
func sameSet(t *testing.T, what string, doc, code []string) {
	t.Helper()
	for _, v := range code {
		if !slices.Contains(doc, v) {
			t.Errorf("%s lacks %q: add it to handlers/openapi/openapi.yaml", what, v)
		}
	}
	for _, v := range doc {
		if !slices.Contains(code, v) {
			t.Errorf("%s has %q, which the code does not: remove it from handlers/openapi/openapi.yaml", what, v)
		}
	}
}

// schemaProperties names a schema's properties, with those of the schemas it is made of (allOf).
func schemaProperties(s *openapi3.Schema) []string {
	names := sortedKeys(s.Properties)
	for _, part := range s.AllOf {
		names = append(names, schemaProperties(part.Value)...)
	}
	return names
}

// jsonFields names the JSON fields of a struct type, with those of the structs it embeds.
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		switch {
		case tag == "-":
		case f.Anonymous && tag == "":
			names = append(names, jsonFields(f.Type)...)
		case tag != "":
			names = append(names, tag)
		case f.IsExported():
			names = append(names, f.Name)
		}
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestOpenAPIServed checks GET /api/openapi.json: without credentials, cached, gzip'd on request,
// and the document the tests check against.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	f := setup(t, withAuth(AuthConfig{}))
	rec := f.send(http.MethodGet, "/api/openapi.json", nil)
	var doc map[string]any
	f.expect(rec, http.StatusOK, &doc)
	if doc["openapi"] != "3.0.3" || doc["paths"].(map[string]any)["/api/jobs"] == nil {
		t.Errorf("document = %.300v", doc)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=") {
		t.Errorf("ETag %q, Cache-Control %q", etag, rec.Header().Get("Cache-Control"))
	}
	if rec := f.send(http.MethodGet, "/api/openapi.json", nil, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("with If-None-Match: %d, %d bytes; want 304, none", rec.Code, rec.Body.Len())
	}
	gz := f.send(http.MethodGet, "/api/openapi.json", nil, "Accept-Encoding", "gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= rec.Body.Len()/2 {
		t.Errorf("with Accept-Encoding gzip: Content-Encoding %q, %d bytes of %d", gz.Header().Get("Content-Encoding"), gz.Body.Len(), rec.Body.Len())
	}
	if rec := f.send(http.MethodGet, "/api/jobs", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /api/jobs without credentials = %d, want 401: the test's server has authentication off", rec.Code)
	}
}

// TestOpenAPICheckCatchesDrift feeds the check exchanges that the document does not describe, to
// see it refuse each, and one that it does, to see it pass.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	t.Parallel()
	c := mustContract(t)
	job := `{"id": 1, "name": "n", "type": "ping", "payload": {}, "cron": "@hourly", "timezone": "UTC",
		"max_retries": 3, "retry_delay": "2s", "timeout": "30s", "catchup": "latest", "paused": false,
		"created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z", "next_run_at": null,
		"retry_on": "transient", "retry_backoff": "fixed", "alerts": {"channels": [], "after": 1},
		"jitter": "0s", "start_at": null, "end_at": null, "blackouts": [], "overlap": "allow", "after": null,
		"params": {}, "pause_after_failures": 0, "paused_reason": "", "tags": [], "description": ""`
	tests := []struct {
		name, method, target, body string
		status                     int
		answer                     string
		problem                    string // in what check says; "" for none
	}{
		{"ConformingExchangePasses", "GET", "/api/jobs/1", "", 200, job + "}", ""},
		{"FieldTheDocumentLacks", "GET", "/api/jobs/1", "", 200, job + `, "colour": "red"}`, "colour"},
		{"MissingRequiredField", "GET", "/api/jobs/1", "", 200, `{"id": 1}`, "name"},
		{"StatusTheDocumentLacks", "GET", "/api/jobs/1", "", 418, `{"error": "teapot"}`, "status"},
		{"UnknownStatusValue", "GET", "/api/runs?status=sleeping", "", 200, `{"runs": [], "next_before": null}`, "status"},
		{"ErrorOfAnotherShape", "GET", "/api/jobs/1", "", 404, `{"message": "gone"}`, "error"},
		{"RouteTheDocumentLacks", "POST", "/api/jobs/1/frobnicate", "", 202, `{}`, "no such operation"},
		{"UnknownFieldAccepted", "POST", "/api/jobs", `{"type": "ping", "payload": {}, "colour": "red"}`, 201, job + "}", "colour"},
		{"UnknownFieldRefused", "POST", "/api/jobs", `{"type": "ping", "payload": {}, "colour": "red"}`, 422,
			`{"error": "The job is not valid; see fields.", "fields": {"colour": "is not a known field"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(tt.status)
			rec.WriteString(tt.answer)
			got := c.check(req, []byte(tt.body), rec)
			switch {
			case tt.problem == "" && got != "":
				t.Errorf("check = %q, want none", got)
			case tt.problem != "" && !strings.Contains(got, tt.problem):
				t.Errorf("check = %q, want a problem naming %q", got, tt.problem)
			}
		})
	}
}
