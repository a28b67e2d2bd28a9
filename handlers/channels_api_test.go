package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runstatus"
	"github.com/cronflow/cronflow/worker/task"
)

// withNotifier sends test notices for real, through the task executor.
func withNotifier(d *Deps) {
	sender := notify.NewSender(task.NewExecutor(task.NewHTTPClient(2, true), task.MailConfig{}), "http://cron.test", 5*time.Second)
	d.Channels = worker.NewNotifier(d.Queries, sender, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestChannelsAPI(t *testing.T) {
	t.Parallel()
	json := []string{"Content-Type", "application/json"}
	create := func(f *fixture, body string) channelJSON {
		f.t.Helper()
		var ch channelJSON
		f.expect(f.send(http.MethodPost, "/api/channels", jsonBody(body), json...), http.StatusCreated, &ch)
		return ch
	}

	t.Run("EachTypeIsStoredAsGivenAndListedMasked", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		mail := create(f, `{"name": "Ops mail", "type": "email", "config": {"to": ["Ops <ops@example.com>", "b@example.com"]}, "default": true}`)
		slack := create(f, `{"name": "Slack", "type": "slack", "config": {"webhook_url": "https://hooks.slack.com/services/T0/B0/SECRET"}}`)
		create(f, `{"name": "Hook", "type": "webhook", "config": {"url": "https://example.com/in"}}`)
		if !mail.Default || !jsonEqual(t, mail.Config, `{"to": ["ops@example.com", "b@example.com"]}`) || slack.Default {
			t.Errorf("email channel = %+v", mail)
		}
		var one channelJSON
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/channels/%d", slack.ID), nil), http.StatusOK, &one)
		if !strings.Contains(string(one.Config), "SECRET") {
			t.Errorf("GET one shows %s, want the whole URL for editing", one.Config)
		}
		var list struct{ Channels []channelJSON }
		f.expect(f.send(http.MethodGet, "/api/channels", nil), http.StatusOK, &list)
		if len(list.Channels) != 3 || strings.Contains(fmt.Sprint(list), "SECRET") {
			t.Errorf("list = %+v, want 3 channels with the Slack path masked", list.Channels)
		}
	})
	for name, tc := range map[string]struct{ body, field string }{
		"NoName":          {`{"type": "webhook", "config": {"url": "https://example.com"}}`, "name"},
		"UnknownType":     {`{"name": "x", "type": "pager", "config": {}}`, "type"},
		"NoConfig":        {`{"name": "x", "type": "webhook"}`, "config"},
		"BadURL":          {`{"name": "x", "type": "webhook", "config": {"url": "ftp://example.com"}}`, "config.url"},
		"BadAddress":      {`{"name": "x", "type": "email", "config": {"to": ["not an address"]}}`, "config.to"},
		"NoSlackURL":      {`{"name": "x", "type": "slack", "config": {}}`, "config.webhook_url"},
		"ConfigNotObject": {`{"name": "x", "type": "slack", "config": "https://hooks.slack.com"}`, "config"},
		"DefaultNotBool":  {`{"name": "x", "type": "webhook", "config": {"url": "https://example.com"}, "default": "yes"}`, "default"},
	} {
		t.Run(name+"Is422", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.expectProblem(f.send(http.MethodPost, "/api/channels", jsonBody(tc.body), json...), http.StatusUnprocessableEntity, tc.field)
			if n, _ := f.q.ChannelList(context.Background(), 10); len(n) != 0 {
				t.Error("a rejected channel was stored")
			}
		})
	}
	t.Run("UpdateAndDeleteTakeItOutOfJobs", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ch := create(f, `{"name": "Hook", "type": "webhook", "config": {"url": "https://example.com/in"}}`)
		var up channelJSON
		f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/channels/%d", ch.ID),
			jsonBody(`{"name": "Hook 2", "type": "webhook", "config": {"url": "https://example.com/two"}}`), json...), http.StatusOK, &up)
		if up.Name != "Hook 2" || !strings.Contains(string(up.Config), "/two") {
			t.Errorf("updated = %+v", up)
		}
		job := f.createJob(fmt.Sprintf(`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": {"channels": [%d], "after": 2}}`, ch.ID))
		f.expect(f.send(http.MethodDelete, fmt.Sprintf("/api/channels/%d", ch.ID), nil), http.StatusNoContent, nil)
		if got := f.storedJob(job.ID).AlertChannels; len(got) != 0 {
			t.Errorf("the deleted channel is still in the job's alerts: %v", got)
		}
		f.expectProblem(f.send(http.MethodDelete, fmt.Sprintf("/api/channels/%d", ch.ID), nil), http.StatusNotFound, "")
	})
	t.Run("TestSendsANoticeAndRecordsIt", func(t *testing.T) {
		t.Parallel()
		f := setup(t, withNotifier)
		var hits atomic.Int32
		var body atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			b, _ := io.ReadAll(r.Body)
			body.Store(string(b))
		}))
		t.Cleanup(srv.Close)
		ch := create(f, fmt.Sprintf(`{"name": "Hook", "type": "webhook", "config": {"url": %q}}`, srv.URL))
		var got map[string]any
		f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/test", ch.ID), nil, json...), http.StatusOK, &got)
		if got["status"] != "sent" || hits.Load() != 1 || !strings.Contains(body.Load().(string), `"event":"channel.test"`) {
			t.Errorf("test answer %v, %d requests, body %v", got, hits.Load(), body.Load())
		}
		srv.Close()
		f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/test", ch.ID), nil, json...), http.StatusOK, &got)
		if got["status"] != "failed" || got["error"] == "" {
			t.Errorf("a test to a closed server answered %v, want failed with the error", got)
		}
		doc := f.page(fmt.Sprintf("/channels/%d", ch.ID), false, http.StatusOK)
		if d := find(t, doc, "delivery"); d.Length() != 2 || d.First().AttrOr("data-status", "") != "failed" {
			t.Errorf("the channel page lists %d deliveries, newest %q", d.Length(), d.First().AttrOr("data-status", ""))
		}
	})
}

func TestJobAlerts(t *testing.T) {
	t.Parallel()
	json := []string{"Content-Type", "application/json"}
	insertChannel := func(f *fixture, name string, isDefault bool) sqlcgen.Channel {
		ch, err := f.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: name, Type: "webhook",
			Config: []byte(`{"url": "https://example.com/in"}`), IsDefault: isDefault})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	t.Run("ANewJobGetsTheDefaultChannelsAndAfterOne", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		def := insertChannel(f, "default", true)
		insertChannel(f, "other", false)
		j := f.createJob(`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`)
		if got := f.storedJob(j.ID); len(got.AlertChannels) != 1 || got.AlertChannels[0] != def.ID || got.AlertAfter != 1 {
			t.Errorf("alerts = %v after %d, want [%d] after 1", got.AlertChannels, got.AlertAfter, def.ID)
		}
	})
	t.Run("AlertsAreKeptByAnUpdateWithoutThem", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ch := insertChannel(f, "ops", false)
		j := f.createJob(fmt.Sprintf(`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": {"channels": [%d], "after": 3}}`, ch.ID))
		f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", j.ID),
			jsonBody(`{"type": "ping", "cron": "@daily", "payload": {"url": "https://example.com"}}`), json...), http.StatusOK, nil)
		var got struct {
			Alerts alertsJSON `json:"alerts"`
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs/%d", j.ID), nil), http.StatusOK, &got)
		if len(got.Alerts.Channels) != 1 || got.Alerts.Channels[0] != ch.ID || got.Alerts.After != 3 {
			t.Errorf("alerts after an update without them = %+v", got.Alerts)
		}
	})
	for name, tc := range map[string]struct{ alerts, field string }{
		"UnknownChannel": {`{"channels": [999999999]}`, "alerts.channels"},
		"AfterZero":      {`{"channels": [], "after": 0}`, "alerts.after"},
		"AfterText":      {`{"channels": [], "after": "often"}`, "alerts.after"},
		"NotAnObject":    {`[1, 2]`, "alerts"},
	} {
		t.Run(name+"Is422", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			body := `{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "alerts": ` + tc.alerts + `}`
			f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), json...), http.StatusUnprocessableEntity, tc.field)
			if f.jobCount() != 0 {
				t.Error("a rejected job was stored")
			}
		})
	}
	t.Run("TheFormSavesTheTickedChannels", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ch := insertChannel(f, "ops", true)
		doc := f.page("/jobs/new", false, http.StatusOK)
		if box := find(t, doc, "alert-channel"); box.AttrOr("checked", "none") == "none" {
			t.Error("the default channel is not ticked on a new job's form")
		}
		form := url.Values{"name": {"from form"}, "mode": {"advanced"}, "cron": {"@hourly"}, "timezone": {"UTC"}, "type": {"ping"},
			"payload.url": {"https://example.com"}, "max_retries": {"3"}, "retry_delay": {"2s"}, "timeout": {"30s"},
			"alerts.after": {"4"}}
		rec := f.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		var id int64
		fmt.Sscanf(rec.Header().Get("Location"), "/jobs/%d", &id)
		if got := f.storedJob(id); len(got.AlertChannels) != 0 || got.AlertAfter != 4 {
			t.Errorf("unticked form saved alerts %v after %d", got.AlertChannels, got.AlertAfter)
		}
		form.Set("alerts.channels", itoa64(ch.ID))
		rec = f.send(http.MethodPost, fmt.Sprintf("/jobs/%d", id), formBody(form), "Sec-Fetch-Site", "same-origin")
		if got := f.storedJob(id); rec.Code != http.StatusSeeOther || len(got.AlertChannels) != 1 {
			t.Errorf("edit with the channel ticked: %d, alerts %v", rec.Code, got.AlertChannels)
		}
	})
}

func TestJobHealth(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job := dbtest.InsertJob(t, f.q, pingJobParams("healthy"))
	statuses := []runstatus.Status{runstatus.Completed, runstatus.PermanentlyFailed, runstatus.Completed, runstatus.Completed}
	for _, s := range statuses {
		dbtest.InsertRun(t, f.q, job.ID, s, "", "x")
		// The worker's alert step counts settled runs; the factories do not, so the test does.
		counts := sqlcgen.JobStatsAddParams{JobIds: []int64{job.ID}, Completed: []int32{0}, Failed: []int32{1}}
		if s == runstatus.Completed {
			counts = sqlcgen.JobStatsAddParams{JobIds: []int64{job.ID}, Completed: []int32{1}, Failed: []int32{0}}
		}
		if err := f.q.JobStatsAdd(context.Background(), counts); err != nil {
			t.Fatal(err)
		}
	}
	doc := f.page("/jobs", false, http.StatusOK)
	strip := find(t, doc, "job-strip")
	var marks []string
	strip.Find("i").Each(func(_ int, s *goquery.Selection) { marks = append(marks, s.AttrOr("class", "")) })
	if strings.Join(marks, ",") != "c,p,c w2" || !strings.Contains(strip.AttrOr("title", ""), "Last 4 runs: 3 completed, 1 failed for good") {
		t.Errorf("strip marks = %v, title %q; want oldest first, runs of a status grouped", marks, strip.AttrOr("title", ""))
	}
	page := f.page(fmt.Sprintf("/jobs/%d", job.ID), false, http.StatusOK)
	if got := find(t, page, "success-day").Text(); got != "75.0% of 4" {
		t.Errorf("success over 24 h = %q, want 75.0%% of 4", got)
	}
	if got := find(t, page, "duration-median").Text(); got == "–" {
		t.Errorf("median duration = %q, want a duration", got)
	}
}
