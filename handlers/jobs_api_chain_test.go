package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// chainJob is a job as the API shows issue 21's fields (sched-b).
type chainJob struct {
	ID                 int64             `json:"id"`
	Cron               string            `json:"cron"`
	NextRunAt          *time.Time        `json:"next_run_at"`
	Overlap            string            `json:"overlap"`
	After              *json.RawMessage  `json:"after"`
	Params             map[string]string `json:"params"`
	PauseAfterFailures int32             `json:"pause_after_failures"`
	PausedReason       string            `json:"paused_reason"`
	Alerts             struct {
		On []string `json:"on"`
	} `json:"alerts"`
}

func (f *fixture) postJSON(target, body string) *httptest.ResponseRecorder {
	return f.send(http.MethodPost, target, strings.NewReader(body), "Content-Type", "application/json")
}

func TestAPIJobChainFields(t *testing.T) {
	t.Parallel()
	f := setup(t)
	t.Run("DefaultsAreTodaysBehaviour", func(t *testing.T) {
		var j chainJob
		f.expect(f.postJSON("/api/jobs", pingJob), http.StatusCreated, &j)
		if j.Overlap != "allow" || j.After != nil || len(j.Params) != 0 || j.PauseAfterFailures != 0 ||
			strings.Join(j.Alerts.On, ",") != "failing,recovered" {
			t.Errorf("defaults: %+v", j)
		}
	})
	var up chainJob
	f.expect(f.postJSON("/api/jobs", pingJob), http.StatusCreated, &up)
	body := fmt.Sprintf(`{"name": "Report", "type": "ping", "cron": "", "payload": {"url": "https://example.com/{{params.region}}?after={{trigger.run.id}}"},
		"overlap": "queue", "after": {"job_id": %d, "on": "failure"}, "params": {"region": "eu"}, "pause_after_failures": 3,
		"alerts": {"on": ["failing", "skipped", "missed", "paused"]}}`, up.ID)
	var j chainJob
	f.expect(f.postJSON("/api/jobs", body), http.StatusCreated, &j)
	t.Run("EveryFieldIsStoredAndShown", func(t *testing.T) {
		if j.Overlap != "queue" || j.After == nil || !strings.Contains(string(*j.After), fmt.Sprintf(`"job_id":%d`, up.ID)) ||
			!strings.Contains(string(*j.After), `"on":"failure"`) || j.Params["region"] != "eu" || j.PauseAfterFailures != 3 ||
			strings.Join(j.Alerts.On, ",") != "failing,skipped,missed,paused" || j.Cron != "" || j.NextRunAt != nil {
			t.Errorf("job: %+v after %s", j, deref(j.After))
		}
	})
	t.Run("TheAuditLogNamesTheFields", func(t *testing.T) {
		entries, err := f.q.AuditListByJob(context.Background(), sqlcgen.AuditListByJobParams{JobID: &j.ID, BeforeID: 1 << 62, MaxRows: 5})
		if err != nil || len(entries) == 0 {
			t.Fatalf("audit: %v, %v", entries, err)
		}
		for _, field := range []string{"overlap", "after", "params", "pause_after_failures"} {
			if !strings.Contains(string(entries[0].Changes), `"`+field+`"`) {
				t.Errorf("audit changes %s lack %s", entries[0].Changes, field)
			}
		}
	})
	t.Run("ACycleIsRefused", func(t *testing.T) {
		cycle := fmt.Sprintf(`{"name": "Up", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"},
			"after": {"job_id": %d}}`, j.ID)
		p := f.expectProblem(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", up.ID), strings.NewReader(cycle),
			"Content-Type", "application/json"), http.StatusUnprocessableEntity, "after.job_id")
		if !strings.Contains(p.Fields["after.job_id"], "cycle") {
			t.Errorf("problem = %q", p.Fields["after.job_id"])
		}
		self := strings.Replace(cycle, fmt.Sprint(j.ID), fmt.Sprint(up.ID), 1)
		f.expectProblem(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", up.ID), strings.NewReader(self),
			"Content-Type", "application/json"), http.StatusUnprocessableEntity, "after.job_id")
	})
	t.Run("BadFieldsAre422NamingThem", func(t *testing.T) {
		many := map[string]string{}
		for i := range 51 {
			many[fmt.Sprintf("p%d", i)] = "x"
		}
		manyJSON, _ := json.Marshal(many)
		for field, extra := range map[string]string{
			"overlap":              `"overlap": "sometimes"`,
			"after.job_id":         `"after": {"job_id": 999999999}`,
			"after.on":             fmt.Sprintf(`"after": {"job_id": %d, "on": "whenever"}`, up.ID),
			"params":               `"params": ` + string(manyJSON),
			"params.region":        `"params": {"region": 3}`,
			"pause_after_failures": `"pause_after_failures": -1`,
			"alerts.on":            `"alerts": {"on": ["failing", "exploded"]}`,
		} {
			body := `{"name": "Bad", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/"}, ` + extra + `}`
			f.expectProblem(f.postJSON("/api/jobs", body), http.StatusUnprocessableEntity, field)
		}
		noCron := `{"name": "Bad", "type": "ping", "payload": {"url": "https://example.com/"}}`
		f.expectProblem(f.postJSON("/api/jobs", noCron), http.StatusUnprocessableEntity, "cron")
		unknownParam := `{"name": "Bad", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com/{{params.nope}}"}}`
		f.expectProblem(f.postJSON("/api/jobs", unknownParam), http.StatusUnprocessableEntity, "payload")
	})
	t.Run("ExportCarriesThem", func(t *testing.T) {
		rec := f.send(http.MethodGet, "/api/export", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"overlap":"queue"`) ||
			!strings.Contains(rec.Body.String(), `"pause_after_failures":3`) || !strings.Contains(rec.Body.String(), `"region":"eu"`) {
			t.Errorf("export: %d %s", rec.Code, rec.Body)
		}
	})
}

func deref(r *json.RawMessage) string {
	if r == nil {
		return "null"
	}
	return string(*r)
}

func TestAPIRunNowWithParams(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var j chainJob
	f.expect(f.postJSON("/api/jobs", `{"name": "P", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com/{{params.region}}"},
		"params": {"region": "eu", "tier": "1"}}`), http.StatusCreated, &j)
	var run struct {
		ID     int64             `json:"id"`
		Params map[string]string `json:"params"`
	}
	f.expect(f.postJSON(fmt.Sprintf("/api/jobs/%d/run", j.ID), `{"params": {"region": "us"}}`), http.StatusAccepted, &run)
	if run.Params["region"] != "us" || run.Params["tier"] != "1" {
		t.Errorf("run params = %v, want region us and tier 1", run.Params)
	}
	f.expectProblem(f.postJSON(fmt.Sprintf("/api/jobs/%d/run", j.ID), `{"params": {"zone": "x"}}`), http.StatusUnprocessableEntity, "params")
	// Without a body, Run now runs with the job's params, as before.
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", j.ID), nil), http.StatusAccepted, nil)
	doc := f.page(fmt.Sprintf("/runs/%d", run.ID), false, http.StatusOK)
	if got := doc.Find(`[data-testid="run-param"]`).Text(); !strings.Contains(got, "us") {
		t.Errorf("run page params = %q", got)
	}
}

func TestAPIJobBackfill(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var j chainJob
	f.expect(f.postJSON("/api/jobs", `{"name": "Hourly", "type": "ping", "cron": "0 * * * *", "payload": {"url": "https://example.com/"}}`),
		http.StatusCreated, &j)
	var got map[string]int
	backfill := func(from, to string) *httptest.ResponseRecorder {
		return f.postJSON(fmt.Sprintf("/api/jobs/%d/backfill", j.ID), fmt.Sprintf(`{"from": %q, "to": %q}`, from, to))
	}
	f.expect(backfill("2026-11-01T00:00:00Z", "2026-11-01T06:00:00Z"), http.StatusAccepted, &got)
	if got["created"] != 6 || got["existing"] != 0 {
		t.Errorf("first backfill = %v, want 6 created", got)
	}
	if n := len(f.pub.published()); n != 6 {
		t.Errorf("%d runs published, want 6", n)
	}
	f.expect(backfill("2026-11-01T03:00:00Z", "2026-11-01T09:00:00Z"), http.StatusAccepted, &got)
	if got["created"] != 3 || got["existing"] != 3 {
		t.Errorf("overlapping backfill = %v, want 3 created and 3 existing", got)
	}
	f.expectProblem(backfill("2026-11-01T00:00:00Z", "2028-01-01T00:00:00Z"), http.StatusUnprocessableEntity, "to")
	f.expectProblem(backfill("yesterday", "2026-11-01T00:00:00Z"), http.StatusUnprocessableEntity, "from")
	f.expectProblem(backfill("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z"), http.StatusUnprocessableEntity, "to")
	runs, err := f.q.RunListByJob(context.Background(), sqlcgen.RunListByJobParams{JobID: j.ID, BeforeID: 1 << 62, MaxRows: 100})
	if err != nil || len(runs) != 9 || runs[0].Trigger != "backfill" {
		t.Errorf("%d runs (%v), want 9 backfill runs", len(runs), err)
	}
}

func TestJobPageSaysWhyAJobPausedItself(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var j chainJob
	f.expect(f.postJSON("/api/jobs", `{"name": "P", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com/"}, "pause_after_failures": 2}`),
		http.StatusCreated, &j)
	if _, err := f.q.JobPauseAfterFailures(context.Background(), sqlcgen.JobPauseAfterFailuresParams{ID: j.ID, Reason: "paused by Cronflow after 2 runs"}); err != nil {
		t.Fatal(err)
	}
	var shown chainJob
	f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs/%d", j.ID), nil), http.StatusOK, &shown)
	if shown.PausedReason != "paused by Cronflow after 2 runs" {
		t.Errorf("paused_reason = %q", shown.PausedReason)
	}
	doc := f.page(fmt.Sprintf("/jobs/%d", j.ID), false, http.StatusOK)
	if got := find(t, doc, "job-paused-reason").Text(); !strings.Contains(got, "after 2 runs") {
		t.Errorf("page reason = %q", got)
	}
	if got := find(t, doc, "job-pause-after").Text(); !strings.Contains(got, "2 runs") {
		t.Errorf("page pause after = %q", got)
	}
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/resume", j.ID), nil), http.StatusOK, &shown)
	if shown.PausedReason != "" {
		t.Errorf("resumed job keeps reason %q", shown.PausedReason)
	}
}
