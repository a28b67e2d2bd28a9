package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

func TestRunRetry(t *testing.T) {
	t.Parallel()
	json := []string{"Content-Type", "application/json"}

	t.Run("APermanentlyFailedRunIsQueuedAgainAsItsNextAttempt", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := dbtest.InsertJob(t, f.q, pingJobParams("flaky"))
		run := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "HTTP 500")
		var got apiRun
		f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", run.ID), nil, json...), http.StatusAccepted, &got)
		if got.ID != run.ID || got.Status != "queued" || got.Attempts != 1 {
			t.Errorf("retried run = %+v, want run %d queued after its 1 attempt", got, run.ID)
		}
		if msgs := f.pub.published(); len(msgs) != 1 || msgs[0].RunID != run.ID {
			t.Errorf("published %v, want run %d", msgs, run.ID)
		}
	})
	for _, status := range []runstatus.Status{runstatus.Completed, runstatus.Queued, runstatus.Running, runstatus.Failed} {
		t.Run("A"+strings.ReplaceAll(string(status), "_", "")+"RunIsRefusedWith409", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			job := dbtest.InsertJob(t, f.q, pingJobParams("fine"))
			run := dbtest.InsertRun(t, f.q, job.ID, status, "ok", "boom")
			p := f.expectProblem(f.send(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", run.ID), nil, json...), http.StatusConflict, "")
			if !strings.Contains(p.Error, string(status)) || !strings.Contains(p.Error, "permanently_failed") {
				t.Errorf("409 says %q, want it to name the run's status and what can be retried", p.Error)
			}
			if after, _ := f.q.RunGet(context.Background(), run.ID); after.Status != status || len(f.pub.published()) != 0 {
				t.Errorf("a refused retry changed the run to %s or published it", after.Status)
			}
		})
	}
	t.Run("AnUnknownRunIs404", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.expectProblem(f.send(http.MethodPost, "/api/runs/999999999/retry", nil, json...), http.StatusNotFound, "")
	})

	t.Run("BulkByIDsRetriesOnlyWhatFailedForGood", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := dbtest.InsertJob(t, f.q, pingJobParams("bulk"))
		a := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		b := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		done := dbtest.InsertRun(t, f.q, job.ID, runstatus.Completed, "", "")
		var got map[string]int
		body := fmt.Sprintf(`{"ids": [%d, %d, %d, 999999999]}`, a.ID, b.ID, done.ID)
		f.expect(f.send(http.MethodPost, "/api/runs/retry", jsonBody(body), json...), http.StatusAccepted, &got)
		if got["queued"] != 2 || len(f.pub.published()) != 2 {
			t.Errorf("answer %v, published %v; want 2 queued", got, f.pub.published())
		}
		if r, _ := f.q.RunGet(context.Background(), done.ID); r.Status != runstatus.Completed {
			t.Errorf("the completed run became %s", r.Status)
		}
	})
	t.Run("BulkByJobRetriesThatJobsFailedRuns", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := dbtest.InsertJob(t, f.q, pingJobParams("bulk job"))
		other := dbtest.InsertJob(t, f.q, pingJobParams("other"))
		for range 3 {
			dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		}
		kept := dbtest.InsertRun(t, f.q, other.ID, runstatus.PermanentlyFailed, "", "x")
		var got map[string]int
		body := fmt.Sprintf(`{"job_id": %d, "status": "permanently_failed"}`, job.ID)
		f.expect(f.send(http.MethodPost, "/api/runs/retry", jsonBody(body), json...), http.StatusAccepted, &got)
		if got["queued"] != 3 {
			t.Errorf("queued %d, want 3", got["queued"])
		}
		if r, _ := f.q.RunGet(context.Background(), kept.ID); r.Status != runstatus.PermanentlyFailed {
			t.Errorf("another job's run became %s", r.Status)
		}
	})
	for name, tc := range map[string]struct{ body, field string }{
		"NeitherIDsNorJob":   {`{}`, "ids"},
		"BothIDsAndJob":      {`{"ids": [1], "job_id": 1}`, "ids"},
		"TooManyIDs":         {`{"ids": [` + strings.Repeat("1,", 1000) + `1]}`, "ids"},
		"NegativeID":         {`{"ids": [-4]}`, "ids"},
		"StatusNotRetryable": {`{"job_id": 1, "status": "completed"}`, "status"},
		"UnknownJob":         {`{"job_id": 999999999}`, "job_id"},
		"IDsNotNumbers":      {`{"ids": "all"}`, "ids"},
	} {
		t.Run("Bulk"+name+"Is422", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.expectProblem(f.send(http.MethodPost, "/api/runs/retry", jsonBody(tc.body), json...), http.StatusUnprocessableEntity, tc.field)
			if len(f.pub.published()) != 0 {
				t.Error("a rejected retry published runs")
			}
		})
	}

	t.Run("TheRunPageHasARetryButtonAndItsAttempts", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := dbtest.InsertJob(t, f.q, pingJobParams("page"))
		run := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "out", "HTTP 503")
		doc := f.page(fmt.Sprintf("/runs/%d", run.ID), false, http.StatusOK)
		find(t, doc, "run-retry")
		if a := find(t, doc, "attempt"); a.Length() != 1 || a.AttrOr("data-outcome", "") != "permanently_failed" {
			t.Errorf("attempts shown: %d, outcome %q", a.Length(), a.AttrOr("data-outcome", ""))
		}
		rec := f.send(http.MethodPost, fmt.Sprintf("/runs/%d/retry", run.ID), formBody(url.Values{}), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != fmt.Sprintf("/runs/%d", run.ID) {
			t.Fatalf("retry button: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if r, _ := f.q.RunGet(context.Background(), run.ID); r.Status != runstatus.Queued {
			t.Errorf("after the button the run is %s", r.Status)
		}
		done := dbtest.InsertRun(t, f.q, job.ID, runstatus.Completed, "", "")
		if doc := f.page(fmt.Sprintf("/runs/%d", done.ID), false, http.StatusOK); doc.Find(`[data-testid="run-retry"]`).Length() != 0 {
			t.Error("a completed run offers Retry")
		}
	})
	t.Run("TheRunsPageRetriesWhatIsTickedOnceConfirmed", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := dbtest.InsertJob(t, f.q, pingJobParams("ticks"))
		a := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		b := dbtest.InsertRun(t, f.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		doc := f.page("/runs?status=permanently_failed", false, http.StatusOK)
		find(t, doc, "select-page")
		find(t, doc, "bulk-retry")
		if boxes := find(t, doc, "run-select"); boxes.Length() != 2 {
			t.Errorf("%d tick boxes, want 2", boxes.Length())
		}
		// Issue 27: runs in any status can be ticked; those that cannot be retried are passed over.
		if f.page("/runs", false, http.StatusOK).Find(`[data-testid="run-select"]`).Length() != 2 {
			t.Error("the unfiltered runs page has no tick boxes")
		}
		form := url.Values{"ids": {itoa64(a.ID)}, "back": {"/runs?status=permanently_failed"}, "action": {"retry"}}
		ask := f.parse(f.send(http.MethodPost, "/runs/retry", formBody(form), "Sec-Fetch-Site", "same-origin"), http.StatusOK)
		if got := find(t, ask, "bulk-title").Text(); got != "Retry 1 run?" {
			t.Errorf("confirmation asks %q", got)
		}
		if ra, _ := f.q.RunGet(context.Background(), a.ID); ra.Status != runstatus.PermanentlyFailed {
			t.Fatalf("the run was retried (%s) before the confirmation", ra.Status)
		}
		form.Set("confirm", "1")
		rec := f.send(http.MethodPost, "/runs/retry", formBody(form), "Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/runs?status=permanently_failed" {
			t.Fatalf("retry selected: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		ra, _ := f.q.RunGet(context.Background(), a.ID)
		rb, _ := f.q.RunGet(context.Background(), b.ID)
		if ra.Status != runstatus.Queued || rb.Status != runstatus.PermanentlyFailed {
			t.Errorf("ticked run is %s, unticked %s", ra.Status, rb.Status)
		}
	})
	t.Run("TheAPIRunHasItsAttemptHistory", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := dbtest.InsertJob(t, f.q, pingJobParams("history"))
		run, err := f.q.RunInsertManual(context.Background(), job.ID)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := f.q.RunClaim(context.Background(), sqlcgen.RunClaimParams{Ids: []int64{run.ID}, LeaseMarginMs: 1000})
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim run %d: %d claimed, %v", run.ID, len(claims), err)
		}
		claim := claims[0]
		// The retry is due at once, so that the second attempt can be claimed.
		if ids, err := f.q.RunRecordResults(context.Background(), sqlcgen.RunRecordResultsParams{Ids: []int64{run.ID},
			Attempts: []int32{claim.Attempts}, Statuses: []string{string(runstatus.Failed)}, Outputs: []string{"first out"},
			Errors: []string{"first error"}, RetryDelaysMs: []int64{0}}); err != nil || len(ids) != 1 {
			t.Fatalf("record the failed attempt: %d recorded, %v", len(ids), err)
		}
		dbtest.FinishRun(t, f.q, run.ID, runstatus.Completed, "second out", "")
		var got struct {
			AttemptHistory []map[string]any `json:"attempt_history"`
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs/%d", run.ID), nil), http.StatusOK, &got)
		h := got.AttemptHistory
		if len(h) != 2 || h[0]["outcome"] != "failed" || h[0]["error"] != "first error" || h[1]["outcome"] != "completed" ||
			h[1]["output"] != "second out" || h[0]["attempt"] != 1.0 || h[1]["attempt"] != 2.0 {
			t.Fatalf("attempt_history = %v", h)
		}
		for _, key := range []string{"attempt", "started_at", "finished_at", "duration_ms", "outcome", "error", "output"} {
			if _, ok := h[0][key]; !ok {
				t.Errorf("an attempt has no %q: %v", key, h[0])
			}
		}
	})
}
