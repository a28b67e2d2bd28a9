package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// realisticData is what the browser test's pages show besides the flow's own job, made through the
// API as a user's script would: a job of every task type, with long names, many long recipients,
// long unbroken URLs and tokens in errors and outputs, long zone names, every run status that
// stays put (completed, failed with a retry to come, failed for good) and a paused job.
type realisticData struct {
	longJob, emailJob, slackJob, webhookJob int64
	// failedRun is the long job's run, failed for good with a long error; retriedRun is another,
	// retried by hand, with two attempts.
	failedRun, retriedRun int64
	// sentChannel and failingChannel are notification channels every job alerts; their notices
	// about the long job were sent, and failed.
	sentChannel, failingChannel int64
}

// longName is a job name as people write them when a list is shared by a team.
const longName = "Nightly health check of the customer-facing billing API in eu-central-1 (primary region) — " +
	"page the on-call engineer if it fails twice in a row"

// seedRealisticData makes the jobs and runs and waits until each run has settled.
func seedRealisticData(t *testing.T, app *testApp) realisticData {
	t.Helper()
	token := strings.Repeat("9f86d081884c7d659a2feaa0c55ad015", 12)
	failing := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "upstream billing-service did not answer within 30s; trace "+token+
			"\nretry-after: 120\nsee https://status.example.com/incidents/"+token[:48])
	}))
	ok := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true,"accepted_at":"2026-12-02T01:00:00Z","request":"`+token+`","warnings":[]}`)
	}))
	to := make([]string, 10)
	for i := range to {
		to[i] = fmt.Sprintf("finance-reporting-distribution-list-%02d@emea-and-apac-subsidiaries.example.com", i+1)
	}

	// A port on which nothing listens any more: the long job's runs fail with an error that quotes
	// its long URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	_ = l.Close()

	var d realisticData
	d.sentChannel, d.failingChannel = seedChannels(t, app, ok.URL, refused)
	d.longJob = app.createJob(map[string]any{
		"name": longName, "type": "ping", "cron": "*/5 * * * *", "timezone": "America/Argentina/Buenos_Aires",
		"max_retries": 0, "payload": map[string]any{"url": refused + "/v2/health/" + strings.Repeat("deep-path-segment/", 16) + "status"},
	}).ID
	failingJob := app.createJob(map[string]any{
		"name": "Warm the invoice cache", "type": "ping", "cron": "15 * * * *", "max_retries": 0,
		"tags": []string{"billing", "cache", "team:finance-operations"}, "description": "Fills the invoice cache before the day's first bills go out.",
		"payload": map[string]any{"url": failing.URL + "/cache/warm"},
	}).ID
	d.emailJob = app.createJob(map[string]any{
		"name": "Weekly revenue report for finance, operations and the customer-success teams in EMEA and APAC",
		"type": "email", "cron": "30 6 * * 1", "timezone": "Asia/Kolkata", "max_retries": 3, "retry_delay": "1h",
		"payload": map[string]any{
			"to":      to,
			"subject": "Weekly revenue report: bookings, renewals, churn and collections by region and segment",
			"body":    "Hello,\n\nthe weekly report is attached as a link: https://reports.example.com/weekly/" + token + "\n\nThanks",
		},
	}).ID
	d.slackJob = app.createJob(map[string]any{
		"name": "Post the deploy summary to #platform-announcements", "type": "slack", "cron": "0 9 * * 1-5",
		"timezone": "Europe/Berlin",
		"payload": map[string]any{
			"webhook_url": ok.URL + "/services/T0000000/B0000000/" + token[:24],
			"text":        "*Deploys today*: see <https://deploys.example.com/" + token + "|the deploy log> for every service.",
		},
	}).ID
	d.webhookJob = app.createJob(map[string]any{
		"name": "Rebuild the search index", "type": "webhook", "cron": "*/10 * * * * *",
		"payload": map[string]any{"url": ok.URL + "/hooks/rebuild", "body": map[string]any{
			"event": "nightly", "indices": []string{"customers", "invoices", "subscriptions", "audit-events-" + token[:32]},
		}},
	}).ID
	if code := app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/pause", d.webhookJob), nil, nil); code != http.StatusOK {
		t.Fatalf("pause the webhook job: status %d", code)
	}

	runNow := func(job int64) int64 {
		var run apiRun
		if code := app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job), nil, &run); code != http.StatusAccepted {
			t.Fatalf("run job %d now: status %d", job, code)
		}
		return run.ID
	}
	d.failedRun = runNow(d.longJob)
	app.waitRun(d.failedRun, "permanently_failed")
	d.retriedRun = runNow(d.longJob)
	retryToTwoAttempts(t, app, d.retriedRun)
	email, slack, failed := runNow(d.emailJob), runNow(d.slackJob), runNow(failingJob)
	if r := app.waitRun(d.failedRun, "permanently_failed"); len(r.Error) < 300 {
		t.Fatalf("the long job's run failed with a short error (%q); the pages need a long one", r.Error)
	}
	app.waitRun(failed, "permanently_failed")
	app.waitRun(email, "failed") // SMTP is not configured: it waits an hour for its retry
	app.waitRun(slack, "completed")
	waitForDeliveries(t, app, d.sentChannel, d.failingChannel)
	return d
}
