package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/workertest"
)

// seedChannels makes the channels the pages show, both marked default so that every job made
// after them alerts them: one whose notices arrive at okURL, and one with a long name whose notices
// fail, since nothing listens at refusedURL.
func seedChannels(t *testing.T, app *testApp, okURL, refusedURL string) (sent, failing int64) {
	t.Helper()
	top := broker.NewTopology(app.env["AMQP_PREFIX"])
	var retryQueues []string
	for _, d := range worker.NoticeRetryDelays {
		retryQueues = append(retryQueues, top.NoticeRetryQueue(d))
	}
	brokertest.DeleteAtCleanup(t, retryQueues, nil)
	create := func(name, url string) int64 {
		var ch struct{ ID int64 }
		body := map[string]any{"name": name, "type": "webhook", "default": true, "config": map[string]any{"url": url}}
		if code := app.call(http.MethodPost, "/api/channels", body, &ch); code != http.StatusCreated {
			t.Fatalf("create channel %q: status %d", name, code)
		}
		return ch.ID
	}
	sent = create("On-call webhook", okURL+"/alerts/"+strings.Repeat("incident-router-", 8)+"endpoint")
	failing = create("Escalation to the platform team's incident bridge in eu-central-1 (secondary, after hours)",
		refusedURL+"/escalations/"+strings.Repeat("0123456789abcdef", 6))
	return sent, failing
}

// waitForDeliveries waits until the sent channel has a sent notice and the failing one a failed
// attempt with its error, so that the channel pages show both.
func waitForDeliveries(t *testing.T, app *testApp, sent, failing int64) {
	t.Helper()
	q := sqlcgen.New(app.pool(t))
	settled := func(channel int64, ok func(sqlcgen.NoticeListByChannelRow) bool) func() bool {
		return func() bool {
			rows, err := q.NoticeListByChannel(context.Background(), sqlcgen.NoticeListByChannelParams{ChannelID: channel, MaxRows: 10})
			return err == nil && len(rows) > 0 && ok(rows[0])
		}
	}
	workertest.WaitFor(t, 30*time.Second, "a sent notice", settled(sent, func(n sqlcgen.NoticeListByChannelRow) bool { return n.Status == "sent" }))
	workertest.WaitFor(t, 30*time.Second, "a failed notice", settled(failing, func(n sqlcgen.NoticeListByChannelRow) bool { return n.Error != "" }))
}

// retryToTwoAttempts retries a run that failed for good and waits until it has failed again, so
// that its page shows a timeline of two attempts and its job's history the retry.
func retryToTwoAttempts(t *testing.T, app *testApp, run int64) {
	t.Helper()
	app.waitRun(run, "permanently_failed")
	if code := app.call(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", run), nil, nil); code != http.StatusAccepted {
		t.Fatalf("retry run %d: status %d", run, code)
	}
	if r := app.waitRun(run, "permanently_failed"); r.Attempts != 2 {
		t.Fatalf("the retried run has %d attempts, want 2", r.Attempts)
	}
}

// importDocuments writes two documents to upload on the import page: the app's own export with the
// long job changed (schedule, URL, alerts) and a new job with a long name, whose preview lists the
// changes; and one whose jobs are not valid, whose page lists their problems.
func importDocuments(t *testing.T, app *testApp) (preview, invalid string) {
	t.Helper()
	var doc struct {
		Version int              `json:"version"`
		Jobs    []map[string]any `json:"jobs"`
	}
	if code := app.call(http.MethodGet, "/api/export", nil, &doc); code != http.StatusOK || len(doc.Jobs) == 0 {
		t.Fatalf("export: status %d, %d jobs", code, len(doc.Jobs))
	}
	// The flow makes jobs of one name more than once; an upsert cannot say which of them an entry
	// means, so the document keeps the jobs whose name is theirs alone.
	seen := map[any]int{}
	for _, j := range doc.Jobs {
		seen[j["name"]]++
	}
	unique := doc.Jobs[:0]
	for _, j := range doc.Jobs {
		if seen[j["name"]] == 1 {
			unique = append(unique, j)
		}
	}
	doc.Jobs = unique
	for _, j := range doc.Jobs {
		if j["name"] == longName {
			j["cron"] = "*/15 * * * *"
			j["payload"].(map[string]any)["url"] = "https://billing-health.eu-central-1.example.com/v3/" + strings.Repeat("nested-route-segment/", 12) + "status"
			j["alerts"].(map[string]any)["after"] = 3
		}
	}
	doc.Jobs = append(doc.Jobs, map[string]any{
		"name": "Archive the audit trail of every tenant in the EMEA region to cold storage before the quarterly compliance review",
		"type": "ping", "cron": "0 3 1 * *", "payload": map[string]any{"url": "https://archive.example.com/run"},
	})
	dir := t.TempDir()
	preview, invalid = dir+"/cronflow-jobs.json", dir+"/broken-export.json"
	raw, _ := json.Marshal(doc)
	var answer map[string]any
	if code := app.call(http.MethodPost, "/api/import?dry_run=true", json.RawMessage(raw), &answer); code != http.StatusOK {
		t.Fatalf("the document to preview is not valid: %d %v", code, answer)
	}
	bad := `{"version": 1, "jobs": [{"name": "` + strings.Repeat("Reconcile-the-ledger-", 6) + `", "type": "ping", "cron": "61 * * * *",
		"payload": {"url": "ftp://files.example.com/` + strings.Repeat("x", 120) + `"}, "alerts": {"channels": [987654321], "after": 0}},
		{"name": "No type", "cron": "@daily"}]}`
	for path, text := range map[string]string{preview: string(raw), invalid: bad} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return preview, invalid
}
