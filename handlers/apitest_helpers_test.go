package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// apiFixture is a server on a transaction of its own, rolled back when the test ends.
type apiFixture struct {
	t      *testing.T
	server http.Handler
	q      *sqlcgen.Queries
	pub    *recordingPublisher

	mu    sync.Mutex
	ready map[string]string
}

// apiJob is a job as the API contract names its fields; it is declared here rather than reusing
// jobJSON so that a renamed JSON field fails the tests.
type apiJob struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	Cron       string          `json:"cron"`
	Timezone   string          `json:"timezone"`
	MaxRetries int32           `json:"max_retries"`
	RetryDelay string          `json:"retry_delay"`
	Timeout    string          `json:"timeout"`
	Paused     bool            `json:"paused"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	NextRunAt  *time.Time      `json:"next_run_at"`
}

// apiRun is a run as the API contract names its fields.
type apiRun struct {
	ID          int64     `json:"id"`
	JobID       int64     `json:"job_id"`
	Status      string    `json:"status"`
	Trigger     string    `json:"trigger"`
	Attempts    int32     `json:"attempts"`
	ScheduledAt time.Time `json:"scheduled_at"`
}

// apiProblem is the body of an API error.
type apiProblem struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

func setupAPI(t *testing.T) *apiFixture {
	t.Helper()
	tx := dbtest.Tx(t)
	q := sqlcgen.New(tx)
	f := &apiFixture{t: t, q: q, pub: &recordingPublisher{}}
	f.server = NewServer(Deps{
		Queries:   q,
		DB:        tx,
		Publisher: f.pub,
		ReadyFunc: func(context.Context) map[string]string {
			f.mu.Lock()
			defer f.mu.Unlock()
			return maps.Clone(f.ready)
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return f
}

func (f *apiFixture) setReady(problems map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready = problems
}

// request builds a request with an optional body of the given content type.
func (f *apiFixture) request(method, target, contentType string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func (f *apiFixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.server.ServeHTTP(rec, req)
	return rec
}

// do sends a request with an optional body of the given content type.
func (f *apiFixture) do(method, target, contentType string, body io.Reader) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.serve(f.request(method, target, contentType, body))
}

func (f *apiFixture) sendJSON(method, target, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return f.do(method, target, "application/json", r)
}

func (f *apiFixture) postForm(target string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(http.MethodPost, target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// expect checks the status and that the answer is JSON, and decodes it into out unless out is nil.
func (f *apiFixture) expect(rec *httptest.ResponseRecorder, status int, out any) {
	f.t.Helper()
	if rec.Code != status {
		f.t.Fatalf("status = %d, want %d; body: %s", rec.Code, status, rec.Body)
	}
	if out == nil {
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.t.Fatalf("Content-Type = %q, want JSON; body: %s", ct, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		f.t.Fatalf("decode %s: %v", rec.Body, err)
	}
}

// expectProblem checks an error answer: its status, a message, and a problem on field unless
// field is empty.
func (f *apiFixture) expectProblem(rec *httptest.ResponseRecorder, status int, field string) apiProblem {
	f.t.Helper()
	var p apiProblem
	f.expect(rec, status, &p)
	if p.Error == "" {
		f.t.Errorf("error message is empty; body: %s", rec.Body)
	}
	if field != "" {
		if _, ok := p.Fields[field]; !ok {
			f.t.Errorf("fields = %v, want a problem on %q", p.Fields, field)
		}
	}
	return p
}

// createJob creates a job through the API.
func (f *apiFixture) createJob(body string) apiJob {
	f.t.Helper()
	var j apiJob
	f.expect(f.sendJSON(http.MethodPost, "/api/jobs", body), http.StatusCreated, &j)
	return j
}

func (f *apiFixture) jobCount() int64 {
	f.t.Helper()
	n, err := f.q.JobCount(context.Background())
	if err != nil {
		f.t.Fatalf("count jobs: %v", err)
	}
	return n
}

func (f *apiFixture) storedJob(id int64) sqlcgen.Job {
	f.t.Helper()
	j, err := f.q.JobGet(context.Background(), id)
	if err != nil {
		f.t.Fatalf("get job %d: %v", id, err)
	}
	return j
}

// insertRun makes a manual run of a job directly through the queries.
func (f *apiFixture) insertRun(jobID int64) sqlcgen.Run {
	f.t.Helper()
	r, err := f.q.RunInsertManual(context.Background(), jobID)
	if err != nil {
		f.t.Fatalf("insert run of job %d: %v", jobID, err)
	}
	return r
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("decode %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// checkPayload checks the payload both in the answer and in the database.
func (f *apiFixture) checkPayload(j apiJob, want string) {
	f.t.Helper()
	if !jsonEqual(f.t, j.Payload, want) {
		f.t.Errorf("answered payload = %s, want %s", j.Payload, want)
	}
	if stored := f.storedJob(j.ID).Payload; !jsonEqual(f.t, stored, want) {
		f.t.Errorf("stored payload = %s, want %s", stored, want)
	}
}
