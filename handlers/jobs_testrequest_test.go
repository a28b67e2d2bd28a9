package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/task"
)

// withTester gives the server the worker's job tester, with rules for its target addresses: the
// dial check is the one runs go through, so a test allows 127.0.0.1 as a deployment would.
func withTester(rules task.TargetRules) func(*Deps) {
	return func(d *Deps) {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		d.Tester = worker.NewTester(task.NewExecutor(rules.Client(2), task.MailConfig{}), worker.NewSecrets(d.Queries, nil), logger)
	}
}

// loopbackAllowed allows 127.0.0.1 and nothing else that is private.
var loopbackAllowed = task.TargetRules{Allowed: task.AllowedTargets{Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}

// countRuns is how many runs are stored, whatever their status.
func (d *fixture) countRuns() int64 {
	d.t.Helper()
	rows, err := d.q.RunCountByStatus(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.Runs
	}
	return n
}

// countJobs is how many jobs are stored.
func (d *fixture) countJobs() int {
	d.t.Helper()
	var out struct {
		Jobs int `json:"jobs"`
	}
	rec := d.send(http.MethodGet, "/api/stats", nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		d.t.Fatalf("stats: %v: %s", err, rec.Body)
	}
	return out.Jobs
}

func TestATestRequestRunsTheTaskOnceAndStoresNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("X-Team") != "ops" {
			http.Error(w, "no team", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "pong from the target")
	}))
	t.Cleanup(target.Close)
	d := setup(t, withTester(loopbackAllowed))
	form := func() map[string][]string {
		f := validForm()
		f.Set("type", "webhook")
		f.Set("payload.url", target.URL+"/hook")
		f.Set("payload.method", "POST")
		f.Set("payload.body", `{"ping": true}`)
		f.Set("payload.headers.0.name", "X-Team")
		f.Set("payload.headers.0.value", "ops")
		return f
	}
	runs, jobs := d.countRuns(), d.countJobs()

	t.Run("WithHTMXTheOutcomeComesBackAlone", func(t *testing.T) {
		doc := d.parse(d.send(http.MethodPost, "/jobs/test", formBody(form()), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusOK)
		if !isFragment(doc) {
			t.Error("htmx got a whole page")
		}
		if got := find(t, doc, "test-result").AttrOr("data-ok", ""); got != "true" {
			t.Errorf("ok = %q", got)
		}
		if got := find(t, doc, "test-status").Text(); got != "HTTP 200 OK" {
			t.Errorf("status = %q", got)
		}
		if got := find(t, doc, "test-output").Text(); got != "pong from the target" {
			t.Errorf("output = %q", got)
		}
		if got := find(t, doc, "test-duration").Text(); !strings.HasPrefix(got, "in ") {
			t.Errorf("duration = %q", got)
		}
	})
	t.Run("WithoutJavaScriptTheFormComesBackWithTheOutcome", func(t *testing.T) {
		doc := d.parse(d.send(http.MethodPost, "/jobs/test", formBody(form()), "Sec-Fetch-Site", "same-origin"), http.StatusOK)
		if isFragment(doc) {
			t.Error("a plain post got a fragment")
		}
		if got := find(t, doc, "test-status").Text(); got != "HTTP 200 OK" {
			t.Errorf("status = %q", got)
		}
		if got := find(t, doc, "payload-url-input").AttrOr("value", ""); got != target.URL+"/hook" {
			t.Errorf("the form lost the URL: %q", got)
		}
	})
	t.Run("TheAPIAnswersTheOutcome", func(t *testing.T) {
		body := `{"type": "webhook", "cron": "@hourly", "payload": {"url": "` + target.URL + `/hook", "body": {}, "headers": {"X-Team": "ops"}}}`
		rec := d.send(http.MethodPost, "/api/jobs/test", jsonBody(body), "Content-Type", "application/json")
		var out testOutcome
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("%d: %s", rec.Code, rec.Body)
		}
		if !out.OK || out.Status != "HTTP 200 OK" || out.Output != "pong from the target" || out.Error != "" {
			t.Errorf("outcome %+v", out)
		}
	})
	t.Run("AFailureIsAnOutcomeInWords", func(t *testing.T) {
		f := form()
		f["payload.headers.0.value"] = []string{"dev"}
		doc := d.parse(d.send(http.MethodPost, "/jobs/test", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusOK)
		if got := find(t, doc, "test-result").AttrOr("data-ok", ""); got != "false" {
			t.Errorf("ok = %q", got)
		}
		if got := find(t, doc, "test-error").Text(); !strings.Contains(got, "400") {
			t.Errorf("error = %q", got)
		}
	})
	if hits.Load() != 4 {
		t.Errorf("the target was reached %d times, want 4", hits.Load())
	}
	if r, j := d.countRuns(), d.countJobs(); r != runs || j != jobs {
		t.Errorf("runs %d → %d, jobs %d → %d: a test request stores nothing", runs, r, jobs, j)
	}
}

func TestATestRequestGoesThroughTheChecksOfASave(t *testing.T) {
	t.Parallel()

	t.Run("BadInputIsTheFormWithItsProblems", func(t *testing.T) {
		d := setup(t, withTester(loopbackAllowed))
		f := validForm()
		f.Set("payload.url", "ftp://nope")
		rec := d.send(http.MethodPost, "/jobs/test", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true")
		if rec.Header().Get("HX-Retarget") != "#job-form" {
			t.Errorf("HX-Retarget = %q", rec.Header().Get("HX-Retarget"))
		}
		doc := d.parse(rec, http.StatusUnprocessableEntity)
		if got := find(t, doc, "form-problems").Text(); !strings.Contains(got, "The test request was not sent.") {
			t.Errorf("problems = %q", got)
		}
		if find(t, doc, "payload-url-error").Text() == "" {
			t.Error("no problem on the URL")
		}
		api := d.send(http.MethodPost, "/api/jobs/test", jsonBody(`{"type": "ping", "cron": "61 * * * *", "payload": {"url": "x"}}`), "Content-Type", "application/json")
		d.expectProblem(api, http.StatusUnprocessableEntity, "cron")
	})
	t.Run("TheTargetRulesHoldAtTheDial", func(t *testing.T) {
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { t.Error("a refused address was reached") }))
		t.Cleanup(target.Close)
		d := setup(t, withTester(task.TargetRules{})) // the default: public addresses only
		f := validForm()
		f.Set("payload.url", target.URL)
		doc := d.parse(d.send(http.MethodPost, "/jobs/test", formBody(f), "Sec-Fetch-Site", "same-origin", "HX-Request", "true"), http.StatusOK)
		if got := find(t, doc, "test-error").Text(); !strings.Contains(got, "are refused") {
			t.Errorf("error = %q, want the target rule's words", got)
		}
	})
	t.Run("ItIsLimitedPerUser", func(t *testing.T) {
		d := setup(t, withTester(loopbackAllowed), func(d *Deps) { d.RunNowPerMinute = 1 })
		body := `{"type": "ping", "cron": "@hourly", "payload": {"url": "ftp://refused.example"}}`
		first := d.send(http.MethodPost, "/api/jobs/test", jsonBody(body), "Content-Type", "application/json")
		second := d.send(http.MethodPost, "/api/jobs/test", jsonBody(body), "Content-Type", "application/json")
		if first.Code == http.StatusTooManyRequests || second.Code != http.StatusTooManyRequests {
			t.Errorf("first %d, second %d: want the second over the limit", first.Code, second.Code)
		}
	})
	t.Run("WithoutATesterItIsUnavailable", func(t *testing.T) {
		d := setup(t)
		rec := d.send(http.MethodPost, "/jobs/test", formBody(validForm()), "Sec-Fetch-Site", "same-origin", "HX-Request", "true")
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%d", rec.Code)
		}
	})
}
