package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
)

// apiExport is an export document as the API contract names its fields.
type apiExport struct {
	Version    int               `json:"version"`
	ExportedAt time.Time         `json:"exported_at"`
	Jobs       []json.RawMessage `json:"jobs"`
}

// apiImportResult is an import's answer as the API contract names its fields.
type apiImportResult struct {
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	DryRun    bool `json:"dry_run"`
}

// apiImportErrors is the answer to a document with invalid jobs.
type apiImportErrors struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
	Errors []struct {
		Index  int               `json:"index"`
		Name   string            `json:"name"`
		Fields map[string]string `json:"fields"`
	} `json:"errors"`
}

// threeJobs is a document with one job of each kind of field a job can have.
const threeJobs = `{"version": 1, "jobs": [
	{"name": "Health", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"}},
	{"name": "Report", "type": "email", "cron": "0 8 * * 1", "timezone": "Europe/Berlin", "max_retries": 5,
	 "retry_delay": "1m", "timeout": "20s", "paused": true,
	 "payload": {"to": ["ops@example.com"], "subject": "Weekly", "body": "Hello"}},
	{"name": "Hook", "type": "webhook", "cron": "@hourly", "payload": {"url": "https://example.com/in", "body": {"a": [1, 2, {"b": "<&>"}]}}}
]}`

func (f *fixture) importDoc(query, doc string) *apiImportResult {
	f.t.Helper()
	var res apiImportResult
	f.expect(f.send(http.MethodPost, "/api/import"+query, jsonBody(doc), "Content-Type", "application/json"), http.StatusOK, &res)
	return &res
}

func (f *fixture) export() apiExport {
	f.t.Helper()
	var doc apiExport
	f.expect(f.send(http.MethodGet, "/api/export", nil), http.StatusOK, &doc)
	return doc
}

// exportedJobs is the export's jobs as plain values, for comparing two exports.
func exportedJobs(t *testing.T, doc apiExport) []any {
	t.Helper()
	out := make([]any, len(doc.Jobs))
	for i, raw := range doc.Jobs {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestExportThenImportGivesTheSameJobs(t *testing.T) {
	t.Parallel()
	from := setup(t)
	if res := from.importDoc("", threeJobs); *res != (apiImportResult{Created: 3}) {
		t.Fatalf("import = %+v, want 3 created", res)
	}
	exported := from.export()
	if exported.Version != 1 || time.Since(exported.ExportedAt) > time.Minute || len(exported.Jobs) != 3 {
		t.Fatalf("export = %+v", exported)
	}
	doc, _ := json.Marshal(exported)

	to := setup(t)
	if res := to.importDoc("", string(doc)); *res != (apiImportResult{Created: 3}) {
		t.Fatalf("import into another installation = %+v, want 3 created", res)
	}
	if got, want := exportedJobs(t, to.export()), exportedJobs(t, exported); !reflect.DeepEqual(got, want) {
		t.Fatalf("jobs after the round trip:\n%v\nwant\n%v", got, want)
	}
	t.Run("ImportingTheSameDocumentAgainChangesNothing", func(t *testing.T) {
		if res := to.importDoc("", string(doc)); *res != (apiImportResult{Unchanged: 3}) {
			t.Fatalf("second import = %+v, want 3 unchanged", res)
		}
	})
	t.Run("ThePausedJobStaysPausedAndTheOthersAreScheduled", func(t *testing.T) {
		var list struct{ Jobs []apiJob }
		to.expect(to.send(http.MethodGet, "/api/jobs", nil), http.StatusOK, &list)
		for _, j := range list.Jobs {
			stored := to.storedJob(j.ID)
			if j.Paused != (j.Name == "Report") || stored.NextRunAt == nil || !stored.NextRunAt.After(time.Now()) {
				t.Errorf("%s: paused %v, next run %v", j.Name, j.Paused, stored.NextRunAt)
			}
		}
	})
	t.Run("EachImportedJobIsAudited", func(t *testing.T) {
		entries := to.audit("/api/audit").Entries
		creates := 0
		for _, e := range entries {
			if e.Action == "job.create" && e.Actor == "local" && e.JobID != nil {
				creates++
			}
		}
		if len(entries) != 3 || creates != 3 {
			t.Fatalf("audit after two imports = %+v, want 3 job.create entries", entries)
		}
	})
}

func TestUpsertUpdatesByNameAndCreateMakesNewJobs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.importDoc("", threeJobs)
	changed := strings.Replace(threeJobs, `"*/5 * * * *"`, `"*/10 * * * *"`, 1)
	if res := f.importDoc("?mode=upsert", changed); *res != (apiImportResult{Updated: 1, Unchanged: 2}) {
		t.Fatalf("upsert = %+v, want 1 updated, 2 unchanged", res)
	}
	entries := f.audit("/api/audit?limit=1").Entries
	if len(entries) != 1 || entries[0].Action != "job.update" || entries[0].Changes["cron"].To != "*/10 * * * *" || len(entries[0].Changes) != 1 {
		t.Fatalf("audit of the update = %+v", entries)
	}
	if res := f.importDoc("?mode=create", threeJobs); *res != (apiImportResult{Created: 3}) {
		t.Fatalf("create = %+v, want 3 created", res)
	}
	if n := f.jobCount(); n != 6 {
		t.Fatalf("%d jobs, want 6", n)
	}
	t.Run("ANameThatMatchesTwoJobsIsAnErrorForThatEntry", func(t *testing.T) {
		var got apiImportErrors
		f.expect(f.send(http.MethodPost, "/api/import", jsonBody(threeJobs), "Content-Type", "application/json"), http.StatusUnprocessableEntity, &got)
		if len(got.Errors) != 3 || got.Errors[0].Name != "Health" || !strings.Contains(got.Errors[0].Fields["name"], "matches 2 stored jobs") {
			t.Fatalf("errors = %+v", got)
		}
		// The same problems in the API's one error shape, by the job's place in the document.
		if len(got.Fields) != 3 || got.Fields["jobs[0].name"] != got.Errors[0].Fields["name"] {
			t.Errorf("fields = %v, want jobs[0].name and the others", got.Fields)
		}
	})
}

func TestAnImportNotSentAsJSONIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.expectProblem(f.send(http.MethodPost, "/api/import", jsonBody(threeJobs), "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "")
	if n := f.jobCount(); n != 0 {
		t.Fatalf("a refused import stored %d jobs", n)
	}
}

func TestADryRunStoresNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	res := f.importDoc("?dry_run=true", threeJobs)
	if *res != (apiImportResult{Created: 3, DryRun: true}) {
		t.Fatalf("dry run = %+v", res)
	}
	if n := f.jobCount(); n != 0 {
		t.Fatalf("a dry run stored %d jobs", n)
	}
	if entries := f.audit("/api/audit").Entries; len(entries) != 0 {
		t.Fatalf("a dry run recorded %+v", entries)
	}
}

func TestAnInvalidDocumentStoresNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	t.Run("InvalidJobsAreListedWithTheirIndexNameAndFields", func(t *testing.T) {
		doc := `{"version": 1, "jobs": [
			{"name": "Fine", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}},
			{"name": "Bad cron", "type": "ping", "cron": "61 * * * *", "payload": {"url": "https://example.com"}},
			{"name": "Twice", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}},
			{"name": "Twice", "type": "nope", "cron": "@hourly", "max_retries": "many", "payload": {}},
			{"name": 7, "type": "ping", "cron": "@hourly", "paused": "yes", "payload": {"url": "https://example.com"}},
			[1, 2],
			{"name": "Typo", "type": "ping", "cron": "@hourly", "max_retry": 2, "payload": {"url": "https://example.com"}}
		]}`
		var got apiImportErrors
		f.expect(f.send(http.MethodPost, "/api/import", jsonBody(doc), "Content-Type", "application/json"), http.StatusUnprocessableEntity, &got)
		type problem struct {
			index int
			name  string
			field string
		}
		var found []problem
		for _, e := range got.Errors {
			for field := range e.Fields {
				found = append(found, problem{e.Index, e.Name, field})
			}
		}
		for _, want := range []problem{{1, "Bad cron", "cron"}, {3, "Twice", "name"}, {3, "Twice", "type"}, {3, "Twice", "max_retries"},
			{4, "", "name"}, {4, "", "paused"}, {5, "", "job"}, {6, "Typo", "max_retry"}} {
			ok := false
			for _, p := range found {
				ok = ok || p == want
			}
			if !ok {
				t.Errorf("no problem %+v in %+v", want, got.Errors)
			}
		}
		if got.Error == "" || len(got.Errors) != 5 {
			t.Errorf("%d invalid jobs listed, want 5: %+v", len(got.Errors), got)
		}
	})
	for name, tc := range map[string]struct {
		doc    string
		status int
		field  string
	}{
		"NotJSON":         {`{"version": 1, "jobs": [`, http.StatusBadRequest, ""},
		"NoVersion":       {`{"jobs": []}`, http.StatusUnprocessableEntity, "version"},
		"AnotherVersion":  {`{"version": 2, "jobs": []}`, http.StatusUnprocessableEntity, "version"},
		"NoJobs":          {`{"version": 1}`, http.StatusUnprocessableEntity, "jobs"},
		"JobsNotAList":    {`{"version": 1, "jobs": {}}`, http.StatusUnprocessableEntity, "jobs"},
		"DataAfterTheDoc": {`{"version": 1, "jobs": []} {}`, http.StatusBadRequest, ""},
		"UnknownField":    {`{"version": 1, "jobs": [], "comment": "x"}`, http.StatusUnprocessableEntity, "comment"},
	} {
		t.Run(name, func(t *testing.T) {
			f.expectProblem(f.send(http.MethodPost, "/api/import", jsonBody(tc.doc), "Content-Type", "application/json"), tc.status, tc.field)
		})
	}
	t.Run("BadParameters", func(t *testing.T) {
		f.expectProblem(f.send(http.MethodPost, "/api/import?mode=merge", jsonBody(threeJobs), "Content-Type", "application/json"), http.StatusUnprocessableEntity, "mode")
		f.expectProblem(f.send(http.MethodPost, "/api/import?dry_run=maybe", jsonBody(threeJobs), "Content-Type", "application/json"), http.StatusUnprocessableEntity, "dry_run")
	})
	if n := f.jobCount(); n != 0 {
		t.Fatalf("%d jobs stored from rejected documents", n)
	}
}

// bigDocument is a valid document of n jobs, each padded to about size bytes.
func bigDocument(n, size int) string {
	var b strings.Builder
	b.WriteString(`{"version": 1, "jobs": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name": "job %d", "type": "webhook", "cron": "@hourly", "payload": {"url": "https://example.com/in", "body": %q}}`,
			i, strings.Repeat("x", size))
	}
	b.WriteString("]}")
	return b.String()
}

func TestAnImportIsOneCreationAndMayBeLargerThanOtherRequests(t *testing.T) {
	t.Parallel()
	f := setup(t, withJobsPerMinute(1))
	doc := bigDocument(300, 5000) // 1.5 MB
	if res := f.importDoc("", doc); res.Created != 300 {
		t.Fatalf("import = %+v", res)
	}
	f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(pingJob), "Content-Type", "application/json"), http.StatusTooManyRequests, "")
	t.Run("OtherRequestsStayLimitedTo1MiB", func(t *testing.T) {
		rec := f.send(http.MethodPut, "/api/jobs/1", jsonBody(doc), "Content-Type", "application/json")
		p := f.expectProblem(rec, http.StatusRequestEntityTooLarge, "")
		if !strings.Contains(p.Error, "1 MiB") {
			t.Errorf("error = %q", p.Error)
		}
	})
	t.Run("AnImportOver64MiBIsRefused", func(t *testing.T) {
		rec := f.send(http.MethodPost, "/api/import?dry_run=true", jsonBody(bigDocument(70, 1<<20)), "Content-Type", "application/json")
		if p := f.expectProblem(rec, http.StatusRequestEntityTooLarge, ""); !strings.Contains(p.Error, "64 MiB") {
			t.Errorf("error = %q", p.Error)
		}
	})
}

func TestExportCarriesEveryFieldOfAJob(t *testing.T) {
	t.Parallel()
	// Fields of the API's job that belong to one installation, not to what the job does; a signing
	// secret is a credential, and an imported signed webhook gets its own.
	// paused_reason is why this installation's job paused itself: state, like next_run_at.
	local := map[string]bool{"id": true, "created_at": true, "updated_at": true, "next_run_at": true,
		"signing_secret": true, "paused_reason": true}
	exported := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(store.ExportJob{})) {
		exported[strings.Split(f.Tag.Get("json"), ",")[0]] = true
	}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(jobJSON{})) {
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if !local[name] && !exported[name] {
			t.Errorf("the job field %q is not exported, so an import would lose it", name)
		}
	}
}

// multipartForm encodes fields, and a file under "document" unless file is empty.
func multipartForm(t *testing.T, fields map[string]string, fileName, file string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("document", fileName)
		_, _ = fw.Write([]byte(file))
	}
	_ = w.Close()
	return &body, w.FormDataContentType()
}

func TestTheDashboardPreviewsAnImportAndImportsOnConfirmation(t *testing.T) {
	t.Parallel()
	d := setup(t)
	dbtest.InsertJob(t, d.q, dbtest.Job("Health", "ping", `{"url": "https://example.com/old"}`, "*/5 * * * *"))
	post := func(fields map[string]string, fileName, file string) *httptest.ResponseRecorder {
		body, ct := multipartForm(t, fields, fileName, file)
		req, _ := http.NewRequest(http.MethodPost, "/jobs/import", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		rec := httptest.NewRecorder()
		d.server.ServeHTTP(rec, req)
		return rec
	}
	rec := post(map[string]string{"mode": "upsert"}, "jobs.json", threeJobs)
	doc := d.parse(rec, http.StatusOK)
	if n, _ := d.q.JobCount(context.Background()); n != 1 {
		t.Fatalf("the preview stored jobs: %d", n)
	}
	if c, u := find(t, doc, "import-created").Text(), find(t, doc, "import-updated").Text(); c != "2" || u != "1" {
		t.Fatalf("preview says %s created, %s updated", c, u)
	}
	if ch := doc.Find(`[data-testid="import-job"][data-action="update"] [data-field="payload.url"]`).Text(); !strings.Contains(ch, "https://example.com/old → https://example.com/health") {
		t.Errorf("the preview's change = %q", ch)
	}
	text, _ := find(t, doc, "import-confirm-form").Find(`input[name="document_text"]`).Attr("value")
	rec = post(map[string]string{"mode": "upsert", "confirm": "true", "document_text": text, "file_name": "jobs.json"}, "", "")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/jobs" {
		t.Fatalf("confirm: %d to %q: %.2000s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if n, _ := d.q.JobCount(context.Background()); n != 3 {
		t.Fatalf("%d jobs after the import, want 3", n)
	}
	t.Run("AnInvalidFileIsShownWithItsProblems", func(t *testing.T) {
		doc := d.parse(post(map[string]string{}, "bad.json", `{"version": 1, "jobs": [{"type": "ping"}]}`), http.StatusUnprocessableEntity)
		if find(t, doc, "import-problem").Length() != 1 || doc.Find(`[data-testid="import-confirm"]`).Length() != 0 {
			t.Fatal("an invalid document must list its problem and offer no import")
		}
	})
	t.Run("ExportIsADownload", func(t *testing.T) {
		rec := d.send(http.MethodGet, "/jobs/export", nil)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") ||
			!strings.Contains(rec.Body.String(), `"Hook"`) {
			t.Fatalf("export: %d %q", rec.Code, rec.Header().Get("Content-Disposition"))
		}
	})
}

// BenchmarkImportEngine imports 10,000 webhook jobs straight through Import (no HTTP) into a fresh
// database, a new set per iteration (mode=create). Run it with:
//
//	go test ./handlers/ -run '^$' -bench ImportEngine -benchtime 3x
func BenchmarkImportEngine(b *testing.B) {
	pool := dbtest.NewPool(b)
	doc := bigDocument(10000, 20)
	for b.Loop() {
		res, err := store.New(pool, "", nil).Import(context.Background(), "bench", strings.NewReader(doc), store.ImportOptions{Mode: store.ImportCreate})
		if err != nil || res.Created != 10000 {
			b.Fatalf("import: %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/import")
}
