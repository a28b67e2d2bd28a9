package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// flakyTarget answers its first request 503 and the others 200, echoing the Authorization it got
// in the body and a header, as a careless target would.
func newFlakyTarget(t *testing.T) string {
	var calls atomic.Int32
	return newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, `{"error": "warming up", "you sent": %q}`, r.Header.Get("Authorization"))
			return
		}
		_, _ = fmt.Fprintf(w, `{"ok": true, "you sent": %q}`, r.Header.Get("Authorization"))
	})).URL
}

func TestEachAttemptKeepsItsRequestAndResponseWithTheSecretMasked(t *testing.T) {
	t.Parallel()
	target := newFlakyTarget(t)
	env := testEnv(t)
	env["CRONFLOW_SECRET_KEY"] = newSecretKey(t)
	app := startApp(t, "serve", env)
	value := "tok-" + strings.ToLower(rand.Text())
	if code := app.call(http.MethodPost, "/api/secrets", map[string]string{"name": "API_TOKEN", "value": value}, nil); code != http.StatusCreated {
		t.Fatalf("create secret: %d", code)
	}
	job := app.createJob(map[string]any{"type": "webhook", "cron": "0 0 1 1 *", "max_retries": 2, "retry_delay": "1s",
		"payload": map[string]any{"url": target + "/hook?token={{secrets.API_TOKEN}}",
			"headers": map[string]string{"Authorization": "Bearer {{secrets.API_TOKEN}}", "X-Team": "ops"},
			"body":    map[string]string{"event": "tick", "key": "{{secrets.API_TOKEN}}"}}})
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	app.waitRun(run.ID, "completed")

	rows, err := sqlcgen.New(app.pool(t)).RunAttemptList(context.Background(), run.ID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("attempts: %d, %v", len(rows), err)
	}
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		raw := string(rows[i].Exchange)
		if strings.Contains(raw, value) {
			t.Errorf("attempt %d: the stored exchange holds the secret's value: %s", i+1, raw)
		}
		var x task.Exchange
		if err := json.Unmarshal(rows[i].Exchange, &x); err != nil || x.Request == nil || x.Response == nil || x.Timings == nil {
			t.Fatalf("attempt %d: exchange %s (%v)", i+1, raw, err)
		}
		if x.Request.Method != http.MethodPost || x.Request.URL != target+"/hook?token={{secrets.API_TOKEN}}" {
			t.Errorf("attempt %d: request %s %s", i+1, x.Request.Method, x.Request.URL)
		}
		headers := map[string]string{}
		for _, h := range x.Request.Headers {
			headers[h.Name] = h.Value
		}
		if headers["Authorization"] != "Bearer {{secrets.API_TOKEN}}" || headers["X-Team"] != "ops" || headers["Idempotency-Key"] == "" {
			t.Errorf("attempt %d: request headers %v", i+1, headers)
		}
		if !strings.Contains(x.Request.Body, `"key":"{{secrets.API_TOKEN}}"`) && !strings.Contains(x.Request.Body, `"key": "{{secrets.API_TOKEN}}"`) {
			t.Errorf("attempt %d: request body %q", i+1, x.Request.Body)
		}
		if x.Response.StatusCode != want || !strings.Contains(x.Response.Body, "Bearer {{secrets.API_TOKEN}}") {
			t.Errorf("attempt %d: response %d %q", i+1, x.Response.StatusCode, x.Response.Body)
		}
		if x.Timings.TotalMs <= 0 || x.Timings.FirstByteMs <= 0 || x.Timings.FirstByteMs > x.Timings.TotalMs {
			t.Errorf("attempt %d: timings %+v", i+1, *x.Timings)
		}
	}

	page := app.get(fmt.Sprintf("/runs/%d", run.ID))
	api := app.get(fmt.Sprintf("/api/runs/%d", run.ID))
	for what, text := range map[string]string{"page": page, "API": api} {
		if strings.Contains(text, value) {
			t.Errorf("the run's %s shows the secret's value", what)
		}
	}
	for _, want := range []string{`data-testid="copy-curl"`, `&#34;$CRONFLOW_SECRET_API_TOKEN&#34;`, "HTTP 503 Service Unavailable",
		"before retrying", "end to end", `data-testid="run-job-now"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the run page lacks %q", want)
		}
	}
	var detail struct {
		AttemptHistory []struct {
			Request  *task.ExchangeRequest  `json:"request"`
			Response *task.ExchangeResponse `json:"response"`
			Timings  *task.Timings          `json:"timings"`
		} `json:"attempt_history"`
	}
	if err := json.Unmarshal([]byte(api), &detail); err != nil || len(detail.AttemptHistory) != 2 ||
		detail.AttemptHistory[0].Response == nil || detail.AttemptHistory[0].Response.StatusCode != http.StatusServiceUnavailable ||
		detail.AttemptHistory[1].Timings == nil {
		t.Errorf("GET /api/runs/%d: %s (%v)", run.ID, api, err)
	}
}
