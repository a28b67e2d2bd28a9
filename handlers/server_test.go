package handlers

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cronflow/cronflow/queries/dbtest"
)

// gunzip reads a gzipped body, failing the test unless it is one.
func gunzip(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if got := rec.Header().Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	r, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatalf("read gzip: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read gzip: %v", err)
	}
	return string(b)
}

func TestPagesFragmentsAndAssetsAreSentCompressed(t *testing.T) {
	t.Parallel()
	d := setup(t)
	job := dbtest.InsertJob(t, d.q, pingJobParams("Compressed"))
	for range 20 {
		dbtest.InsertRun(t, d.q, job.ID, "completed", strings.Repeat("all good ", 30), "")
	}
	for name, tc := range map[string]struct {
		target string
		htmx   bool
		want   string
	}{
		"RunsPage":     {"/runs", false, `data-testid="runs-table"`},
		"RunsFragment": {"/runs/table", true, `data-testid="run-row"`},
		"JobsFragment": {"/jobs", true, `data-testid="job-row"`},
		"Stylesheet":   {"/assets/app.css", false, ".list-table"},
		"Script":       {"/assets/htmx.min.js", false, "htmx"},
	} {
		t.Run(name, func(t *testing.T) {
			header := []string{"Accept-Encoding", "gzip, deflate, br"}
			if tc.htmx {
				header = append(header, "HX-Request", "true")
			}
			rec := d.send(http.MethodGet, tc.target, nil, header...)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if body := gunzip(t, rec); !strings.Contains(body, tc.want) {
				t.Errorf("the unzipped body has no %q", tc.want)
			}
			if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("Vary = %q, want Accept-Encoding in it", rec.Header().Values("Vary"))
			}
		})
	}
	t.Run("NotToAClientThatDoesNotAcceptIt", func(t *testing.T) {
		rec := d.send(http.MethodGet, "/runs", nil)
		if rec.Header().Get("Content-Encoding") != "" || !strings.Contains(rec.Body.String(), `data-testid="runs-table"`) {
			t.Errorf("a client without Accept-Encoding got Content-Encoding %q", rec.Header().Get("Content-Encoding"))
		}
	})
	t.Run("AnEmptyAnswerStaysEmpty", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs/"+itoa64(job.ID)+"/delete", nil, "HX-Request", "true", "Sec-Fetch-Site", "same-origin", "Accept-Encoding", "gzip")
		if rec.Code != http.StatusOK || rec.Header().Get("HX-Redirect") == "" {
			t.Fatalf("delete: status %d, HX-Redirect %q", rec.Code, rec.Header().Get("HX-Redirect"))
		}
		if rec.Body.Len() != 0 || rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("the HX-Redirect answer has %d bytes, Content-Encoding %q; want an empty plain body",
				rec.Body.Len(), rec.Header().Get("Content-Encoding"))
		}
	})
}

func TestMetricsAreCompressedOnceByThePrometheusHandler(t *testing.T) {
	t.Parallel()
	d := setup(t, func(deps *Deps) { deps.Metrics = promhttp.Handler() })
	rec := d.send(http.MethodGet, "/metrics", nil, "Accept-Encoding", "gzip")
	if body := gunzip(t, rec); !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics unzipped once is not the metrics text: %.200q", body)
	}
}
