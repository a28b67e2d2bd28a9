package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// nested is a JSON value holding n objects one inside the other.
func nested(n int) string {
	return strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n)
}

func TestJSONBodiesNestedDeeperThan64AreRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for target, body := range map[string]string{
		"/api/jobs":     `{"name": "deep", "type": "webhook", "cron": "@hourly", "payload": {"url": "http://127.0.0.1:9/", "body": ` + nested(70) + `}}`,
		"/api/channels": `{"name": "deep", "type": "webhook", "config": {"url": "http://127.0.0.1:9/", "x": ` + nested(70) + `}}`,
	} {
		rec := f.sendJSON(http.MethodPost, target, body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "64") {
			t.Errorf("POST %s nested 70 deep: %d %s, want 400 naming the limit of 64", target, rec.Code, rec.Body)
		}
	}
	if jobs, _ := f.q.JobListAll(context.Background(), sqlcgen.JobListAllParams{MaxRows: 10}); len(jobs) != 0 {
		t.Errorf("a refused body stored %d jobs", len(jobs))
	}
	t.Run("ALittleNestingIsFine", func(t *testing.T) {
		body := `{"name": "nested", "type": "webhook", "cron": "@hourly", "payload": {"url": "http://127.0.0.1:9/", "body": ` + nested(20) + `}}`
		if rec := f.sendJSON(http.MethodPost, "/api/jobs", body); rec.Code != http.StatusCreated {
			t.Errorf("a job nested 23 deep: %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("AnImportedJob", func(t *testing.T) {
		doc := `{"version": 1, "jobs": [{"name": "deep", "type": "webhook", "cron": "@hourly", "payload": {"url": "http://127.0.0.1:9/", "body": ` + nested(70) + `}}]}`
		rec := f.sendJSON(http.MethodPost, "/api/import", doc)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "deeper than 64") {
			t.Errorf("import nested 70 deep: %d %s, want 422 naming the limit", rec.Code, rec.Body)
		}
	})
}

func TestImportLimitsInTheAPI(t *testing.T) {
	t.Parallel()
	f := setup(t)
	t.Run("TooManyJobsIs422NamingJobs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"version": 1, "jobs": [`)
		for i := range store.MaxImportJobs + 1 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{}`)
		}
		b.WriteString(`]}`)
		rec := f.sendJSON(http.MethodPost, "/api/import?dry_run=true", b.String())
		want := fmt.Sprintf("at most %d jobs, and this document holds %d", store.MaxImportJobs, store.MaxImportJobs+1)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"jobs"`) || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("over the cap: %d %s, want 422 on jobs saying %q", rec.Code, rec.Body, want)
		}
	})
	t.Run("ASecondImportAtTheSameTimeIs429", func(t *testing.T) {
		r, w := io.Pipe()
		req := httptest.NewRequest(http.MethodPost, "/api/import?dry_run=true", r)
		req.Header.Set("Content-Type", "application/json")
		first := make(chan int, 1)
		go func() {
			// Straight to echo: the OpenAPI check (f.server) reads a body whole before serving it,
			// so the first import would not start until its body ended.
			rec := httptest.NewRecorder()
			f.echo.ServeHTTP(rec, req)
			first <- rec.Code
		}()
		_, _ = io.WriteString(w, `{"version": 1, "jobs": [`) // returns once the first import reads it
		rec := f.sendJSON(http.MethodPost, "/api/import?dry_run=true", `{"version": 1, "jobs": []}`)
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "Another import is running") {
			t.Errorf("a second import: %d %s, want 429 saying another import is running", rec.Code, rec.Body)
		}
		_, _ = io.WriteString(w, `]}`)
		_ = w.Close()
		if code := <-first; code != http.StatusOK {
			t.Errorf("the first import: %d", code)
		}
	})
}
