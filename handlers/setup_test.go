package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// The admin that setup creates when authentication is on.
const (
	testAdmin    = "admin"
	testPassword = "correct horse battery"
)

// fixture is a server on a transaction of its own, rolled back when the test ends.
type fixture struct {
	t *testing.T
	// server is echo wrapped in the OpenAPI check (see checkAPI).
	server http.Handler
	echo   *echo.Echo
	q      *sqlcgen.Queries
	db     store.DB
	pub    *recordingPublisher

	mu    sync.Mutex
	ready map[string]string
}

// setup starts a server with authentication off, or as the options set it.
func setup(t *testing.T, opts ...func(*Deps)) *fixture {
	t.Helper()
	tx := dbtest.Tx(t)
	q := sqlcgen.New(tx)
	f := &fixture{t: t, q: q, pub: &recordingPublisher{}}
	d := Deps{
		Queries:   q,
		DB:        tx,
		Publisher: f.pub,
		ReadyFunc: func(context.Context) map[string]string {
			f.mu.Lock()
			defer f.mu.Unlock()
			return maps.Clone(f.ready)
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&d)
	}
	f.q, f.db = d.Queries, d.DB // an option may give the server a database of its own (withPool)
	if d.Auth.Enabled {
		if err := store.New(d.DB, testAdmin, nil).EnsureAdmin(context.Background(), "environment", testAdmin, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	f.echo = NewServer(d)
	f.server = checkAPI(t, f.echo)
	return f
}

// withAuth turns authentication on, with cfg's other settings, an admin (testAdmin, testPassword)
// and a /metrics to protect.
func withAuth(cfg AuthConfig) func(*Deps) {
	return func(d *Deps) {
		cfg.Enabled = true
		d.Auth = cfg
		d.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "cronflow_up 1\n") })
	}
}

// withJobsPerMinute sets the API's job creation limit.
func withJobsPerMinute(n int) func(*Deps) { return func(d *Deps) { d.JobsPerMinute = n } }

// withTrustedProxies sets the proxies whose forwarded headers are believed.
func withTrustedProxies(nets ...*net.IPNet) func(*Deps) {
	return func(d *Deps) { d.TrustedProxies = nets }
}

// recordingPublisher records the runs the server asked to publish; the broker is not what these
// tests are about.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []runmsg.Message
}

func (p *recordingPublisher) Publish(_ context.Context, msgs []runmsg.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
}

func (p *recordingPublisher) published() []runmsg.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]runmsg.Message(nil), p.msgs...)
}

// login logs in through the form and returns the session cookie header value.
func (f *fixture) login() string {
	f.t.Helper()
	v := url.Values{"username": {testAdmin}, "password": {testPassword}, "next": {"/jobs"}}
	rec := f.send(http.MethodPost, "/login", formBody(v), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/jobs" {
		f.t.Fatalf("login: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				f.t.Errorf("session cookie HttpOnly=%v SameSite=%v", c.HttpOnly, c.SameSite)
			}
			return c.Name + "=" + c.Value
		}
	}
	f.t.Fatal("login set no session cookie")
	return ""
}

func (f *fixture) setReady(problems map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready = problems
}

// send serves a request, with the headers given as name, value pairs. A body is a form unless a
// Content-Type is given. A browser on Cronflow's own page says a form post is same-origin with
// Sec-Fetch-Site, which is what lets it through the CSRF check without a token: tests that play
// that browser send it, and the CSRF tests leave it out.
func (f *fixture) send(method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if http.CanonicalHeaderKey(header[i]) == "Content-Type" {
			req.Header.Del(header[i])
		}
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.server.ServeHTTP(rec, req)
	return rec
}

// formBody is a posted form's body.
func formBody(v url.Values) io.Reader { return strings.NewReader(v.Encode()) }

// page GETs a URL (as htmx when htmx is true), checks the status, and parses the answer.
func (f *fixture) page(target string, htmx bool, status int) *goquery.Document {
	f.t.Helper()
	header := []string{}
	if htmx {
		header = append(header, "HX-Request", "true")
	}
	return f.parse(f.send(http.MethodGet, target, nil, header...), status)
}

func (f *fixture) parse(rec *httptest.ResponseRecorder, status int) *goquery.Document {
	f.t.Helper()
	if rec.Code != status {
		f.t.Fatalf("status = %d, want %d; body: %.2000s", rec.Code, status, rec.Body)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		f.t.Fatalf("parse: %v", err)
	}
	return doc
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
	Catchup    string          `json:"catchup"`
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

// expect checks the status and that the answer is JSON, and decodes it into out unless out is nil.
func (f *fixture) expect(rec *httptest.ResponseRecorder, status int, out any) {
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
func (f *fixture) expectProblem(rec *httptest.ResponseRecorder, status int, field string) apiProblem {
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
func (f *fixture) createJob(body string) apiJob {
	f.t.Helper()
	var j apiJob
	f.expect(f.send(http.MethodPost, "/api/jobs", strings.NewReader(body), "Content-Type", "application/json"), http.StatusCreated, &j)
	return j
}

func (f *fixture) jobCount() int64 {
	f.t.Helper()
	n, err := f.q.JobCount(context.Background())
	if err != nil {
		f.t.Fatalf("count jobs: %v", err)
	}
	return n
}

func (f *fixture) storedJob(id int64) sqlcgen.Job {
	f.t.Helper()
	j, err := f.q.JobGet(context.Background(), id)
	if err != nil {
		f.t.Fatalf("get job %d: %v", id, err)
	}
	return j
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
func (f *fixture) checkPayload(j apiJob, want string) {
	f.t.Helper()
	if !jsonEqual(f.t, j.Payload, want) {
		f.t.Errorf("answered payload = %s, want %s", j.Payload, want)
	}
	if stored := f.storedJob(j.ID).Payload; !jsonEqual(f.t, stored, want) {
		f.t.Errorf("stored payload = %s, want %s", stored, want)
	}
}

// pingJobParams is a job that pings a URL every day at 02:30 UTC, for dbtest.InsertJob.
func pingJobParams(name string) sqlcgen.JobInsertParams {
	return dbtest.Job(name, "ping", `{"url":"https://example.com/health"}`, "30 2 * * *")
}

// jsonBody is a JSON request body; "" sends none.
func jsonBody(s string) io.Reader {
	if s == "" {
		return nil
	}
	return strings.NewReader(s)
}

// find returns the elements with a data-testid, failing the test if there are none.
func find(t *testing.T, doc *goquery.Document, id string) *goquery.Selection {
	t.Helper()
	s := doc.Find(`[data-testid="` + id + `"]`)
	if s.Length() == 0 {
		html, _ := doc.Html()
		t.Fatalf("no element with data-testid=%q in %.3000s", id, html)
	}
	return s
}

// isFragment reports whether an answer is a fragment rather than a whole page.
func isFragment(doc *goquery.Document) bool {
	return doc.Find("header.site-header").Length() == 0 && doc.Find(`meta[name="htmx-config"]`).Length() == 0
}
