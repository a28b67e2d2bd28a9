package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// Tags, descriptions and bulk actions (issue 27).

const jsonType = "application/json"

func TestJobTags(t *testing.T) {
	t.Parallel()
	t.Run("ABadTagOrDescriptionIsAProblemOnItsField", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		for body, field := range map[string]string{
			`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": ["Not OK"]}`:                                 "tags",
			`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": ["` + strings.Repeat("a", 33) + `"]}`:        "tags",
			`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": "billing"}`:                                  "tags",
			`{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "description": "` + strings.Repeat("d", 1001) + `"}`: "description",
		} {
			f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), "Content-Type", jsonType), http.StatusUnprocessableEntity, field)
		}
		many := make([]string, 21)
		for i := range many {
			many[i] = fmt.Sprintf(`"t%d"`, i)
		}
		body := `{"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": [` + strings.Join(many, ",") + `]}`
		p := f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), "Content-Type", jsonType), http.StatusUnprocessableEntity, "tags")
		if !strings.Contains(p.Fields["tags"], "20") {
			t.Errorf("21 tags: %q, want it to say the limit", p.Fields["tags"])
		}
	})
	t.Run("TheTagFilterNarrowsJobsAndRunsInTheAPIAndThePages", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		billing := f.createJob(`{"name": "invoices", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": ["billing", "team:ops"], "description": "Sends the invoices"}`)
		other := f.createJob(`{"name": "backup", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`)
		dbtest.InsertRun(t, f.q, billing.ID, runstatus.Completed, "", "")
		dbtest.InsertRun(t, f.q, other.ID, runstatus.Completed, "", "")
		var jobs struct {
			Jobs []struct {
				ID          int64    `json:"id"`
				Tags        []string `json:"tags"`
				Description string   `json:"description"`
			} `json:"jobs"`
		}
		f.expect(f.send(http.MethodGet, "/api/jobs?tag=billing", nil), http.StatusOK, &jobs)
		if len(jobs.Jobs) != 1 || jobs.Jobs[0].ID != billing.ID || !slices.Equal(jobs.Jobs[0].Tags, []string{"billing", "team:ops"}) ||
			jobs.Jobs[0].Description != "Sends the invoices" {
			t.Errorf("GET /api/jobs?tag=billing = %+v, want the one job with its tags", jobs.Jobs)
		}
		var runs struct {
			Runs []struct {
				JobID int64 `json:"job_id"`
			} `json:"runs"`
		}
		f.expect(f.send(http.MethodGet, "/api/runs?tag=team:ops", nil), http.StatusOK, &runs)
		if len(runs.Runs) != 1 || runs.Runs[0].JobID != billing.ID {
			t.Errorf("GET /api/runs?tag=team:ops = %+v, want the run of job %d", runs.Runs, billing.ID)
		}
		f.expectProblem(f.send(http.MethodGet, "/api/jobs?tag=Not%20A%20Tag", nil), http.StatusUnprocessableEntity, "tag")

		doc := f.page("/jobs?tag=billing", false, http.StatusOK)
		if rows := find(t, doc, "job-row"); rows.Length() != 1 {
			t.Errorf("/jobs?tag=billing shows %d rows", rows.Length())
		}
		if chip := find(t, doc, "tag-chip").First(); chip.AttrOr("href", "") != "/jobs?tag=billing" {
			t.Errorf("the chip links to %q", chip.AttrOr("href", ""))
		}
		if rows := f.page("/runs?tag=billing", false, http.StatusOK).Find(`[data-testid="run-row"]`); rows.Length() != 1 {
			t.Errorf("/runs?tag=billing shows %d runs", rows.Length())
		}
		// The search matches a description and a tag, not only a name.
		for _, q := range []string{"invoices", "Sends%20the", "team:ops"} {
			if rows := f.page("/jobs?q="+q, false, http.StatusOK).Find(`[data-testid="job-row"]`); rows.Length() != 1 {
				t.Errorf("/jobs?q=%s shows %d rows, want 1", q, rows.Length())
			}
		}
	})
	t.Run("ExportAndImportKeepTagsAndDescription", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.createJob(`{"name": "tagged", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": ["a", "b"], "description": "kept"}`)
		rec := f.send(http.MethodGet, "/api/export", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("export: %d", rec.Code)
		}
		exported := rec.Body.String()
		f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", job.ID), jsonBody(`{"name": "tagged", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": [], "description": ""}`),
			"Content-Type", jsonType), http.StatusOK, nil)
		if j := f.storedJob(job.ID); len(j.Tags) != 0 || j.Description != "" {
			t.Fatalf("PUT left %v %q", j.Tags, j.Description)
		}
		f.expect(f.send(http.MethodPost, "/api/import", jsonBody(exported), "Content-Type", jsonType), http.StatusOK, nil)
		if j := f.storedJob(job.ID); !slices.Equal(j.Tags, []string{"a", "b"}) || j.Description != "kept" {
			t.Errorf("after the import the job has %v %q", j.Tags, j.Description)
		}
		// A document from before tags changes none.
		old := `{"version": 1, "jobs": [{"name": "tagged", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}},
			{"name": "new", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}]}`
		f.expect(f.send(http.MethodPost, "/api/import", jsonBody(old), "Content-Type", jsonType), http.StatusOK, nil)
		if j := f.storedJob(job.ID); !slices.Equal(j.Tags, []string{"a", "b"}) || j.Description != "kept" {
			t.Errorf("an old document changed the tags to %v %q", j.Tags, j.Description)
		}
	})
}

func TestBulkActions(t *testing.T) {
	t.Parallel()
	t.Run("PausingThreeJobsIsAuditedThreeTimes", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var ids []string
		for i := range 3 {
			ids = append(ids, itoa64(dbtest.InsertJob(t, f.q, pingJobParams(fmt.Sprintf("job %d", i))).ID))
		}
		paused := pingJobParams("already")
		paused.Paused = true
		ids = append(ids, itoa64(dbtest.InsertJob(t, f.q, paused).ID))
		var got bulkAnswer
		f.expect(f.send(http.MethodPost, "/api/jobs/bulk", jsonBody(`{"action": "pause", "ids": [`+strings.Join(ids, ",")+`]}`),
			"Content-Type", jsonType), http.StatusOK, &got)
		if got.Done != 3 || got.Skipped != 1 || got.Skips[0].Reason != "already paused" {
			t.Errorf("answer %+v, want 3 done and 1 skipped as already paused", got)
		}
		entries, err := f.q.AuditList(context.Background(), sqlcgen.AuditListParams{BeforeID: 1 << 62, MaxRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Action == "job.pause" {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d job.pause entries, want 3", n)
		}
		f.expectProblem(f.send(http.MethodPost, "/api/jobs/bulk", jsonBody(`{"action": "explode", "ids": [1]}`), "Content-Type", jsonType),
			http.StatusUnprocessableEntity, "action")
		f.expectProblem(f.send(http.MethodPost, "/api/jobs/bulk", jsonBody(`{"action": "pause"}`), "Content-Type", jsonType),
			http.StatusUnprocessableEntity, "ids")
	})
	t.Run("RetryByFilterRetriesWhatMatchesAndCanBeRetried", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.createJob(`{"name": "flaky", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": ["flaky"]}`)
		other := dbtest.InsertJob(t, f.q, pingJobParams("other"))
		a := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		b := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		done := dbtest.InsertRun(t, f.q, job.ID, runstatus.Completed, "", "")
		kept := dbtest.InsertRun(t, f.q, other.ID, runstatus.PermanentlyFailed, "", "x")
		var got bulkAnswer
		f.expect(f.send(http.MethodPost, "/api/runs/bulk", jsonBody(`{"action": "retry", "filter": {"tag": "flaky"}}`), "Content-Type", jsonType),
			http.StatusOK, &got)
		if got.Matched != 3 || got.Done != 2 || got.Skipped != 1 || got.Skips[0].ID != done.ID {
			t.Errorf("answer %+v, want 3 matched, 2 done, the completed run skipped", got)
		}
		for id, want := range map[int64]runstatus.Status{a.ID: runstatus.Queued, b.ID: runstatus.Queued, done.ID: runstatus.Completed, kept.ID: runstatus.PermanentlyFailed} {
			if r, _ := f.q.RunGet(context.Background(), id); r.Status != want {
				t.Errorf("run %d is %s, want %s", id, r.Status, want)
			}
		}
		if len(f.pub.published()) != 2 {
			t.Errorf("published %v, want the 2 retried runs", f.pub.published())
		}
	})
	t.Run("TheJobsPageAsksBeforeItActsOnAllMatching", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		for i := range 3 {
			f.createJob(fmt.Sprintf(`{"name": "nightly %d", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}, "tags": ["nightly"]}`, i))
		}
		f.createJob(`{"name": "other", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`)
		doc := f.page("/jobs?tag=nightly", false, http.StatusOK)
		if label := find(t, doc, "select-all-matching").Parent().Text(); !strings.Contains(label, "Select all 3 matching") {
			t.Errorf("select all label %q", label)
		}
		form := map[string][]string{"action": {"pause"}, "all": {"1"}, "filter.tag": {"nightly"}, "back": {"/jobs?tag=nightly"}}
		ask := f.parse(f.send(http.MethodPost, "/jobs/bulk", formBody(form), "Sec-Fetch-Site", "same-origin"), http.StatusOK)
		if got := find(t, ask, "bulk-title").Text(); got != "Pause 3 jobs?" {
			t.Errorf("confirmation asks %q", got)
		}
		if n, _ := f.q.JobCountScheduled(context.Background()); n != 4 {
			t.Fatalf("%d active jobs before the confirmation, want 4", n)
		}
		form["confirm"] = []string{"1"}
		if rec := f.send(http.MethodPost, "/jobs/bulk", formBody(form), "Sec-Fetch-Site", "same-origin"); rec.Code != http.StatusSeeOther {
			t.Fatalf("confirmed: %d", rec.Code)
		}
		if n, _ := f.q.JobCountScheduled(context.Background()); n != 1 {
			t.Errorf("%d active jobs after pausing the 3 nightly ones, want 1", n)
		}
	})
}

func TestAViewerCannotActInBulk(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	for target, body := range map[string]string{
		"/api/jobs/bulk": fmt.Sprintf(`{"action": "pause", "ids": [%d]}`, f.job.ID),
		"/api/runs/bulk": `{"action": "retry", "filter": {}}`,
	} {
		if code, _ := f.basicJSON(http.MethodPost, target, "vera", "vera's password", body); code != http.StatusForbidden {
			t.Errorf("a viewer's %s: %d, want 403", target, code)
		}
	}
	if code, out := f.basicJSON(http.MethodPost, "/api/jobs/bulk", "ed", "ed's password", fmt.Sprintf(`{"action": "pause", "ids": [%d]}`, f.job.ID)); code != http.StatusOK {
		t.Errorf("an editor's bulk pause: %d %v", code, out)
	}
	viewer := f.loginAs("vera", "vera's password")
	if doc := f.send(http.MethodGet, "/jobs", nil, "Cookie", viewer).Body.String(); strings.Contains(doc, `data-testid="job-select"`) {
		t.Error("the jobs page offers a viewer tick boxes")
	}
}
