package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/runstatus"
)

func TestAPIRuns(t *testing.T) {
	t.Parallel()

	// setupRuns makes job a with five runs, the oldest completed and the second failed, and job b with
	// two queued runs.
	setupRuns := func(t *testing.T) (f *fixture, a, b apiJob, aRuns, bRuns []int64) {
		f = setup(t)
		a, b = f.createJob(pingJob), f.createJob(pingJob)
		for range 5 {
			aRuns = append(aRuns, dbtest.InsertRun(f.t, f.q, a.ID, runstatus.Queued, "", "").ID)
		}
		for range 2 {
			bRuns = append(bRuns, dbtest.InsertRun(f.t, f.q, b.ID, runstatus.Queued, "", "").ID)
		}
		dbtest.FinishRun(t, f.q, aRuns[0], "completed", "ok", "boom")
		dbtest.FinishRun(t, f.q, aRuns[1], "failed", "ok", "boom")
		return f, a, b, aRuns, bRuns
	}
	type page struct {
		Runs       []apiRun `json:"runs"`
		NextBefore *int64   `json:"next_before"`
	}
	ids := func(p page) []int64 {
		var out []int64
		for _, r := range p.Runs {
			out = append(out, r.ID)
		}
		return out
	}

	t.Run("ListIsNewestFirstForOneJob", func(t *testing.T) {
		t.Parallel()
		f, a, _, aRuns, _ := setupRuns(t)
		var p page
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d", a.ID), nil), http.StatusOK, &p)
		want := slices.Clone(aRuns)
		slices.Reverse(want)
		if got := ids(p); !slices.Equal(got, want) || p.NextBefore != nil {
			t.Errorf("runs = %v, next_before %v; want %v, null", got, p.NextBefore, want)
		}
		for _, r := range p.Runs {
			if r.JobID != a.ID {
				t.Errorf("run %d belongs to job %d, want %d", r.ID, r.JobID, a.ID)
			}
		}
	})

	t.Run("ListWithoutFiltersHasEveryRun", func(t *testing.T) {
		t.Parallel()
		f, _, _, aRuns, bRuns := setupRuns(t)
		var p page
		f.expect(f.send(http.MethodGet, "/api/runs", nil), http.StatusOK, &p)
		got := ids(p)
		for _, id := range append(slices.Clone(aRuns), bRuns...) {
			if !slices.Contains(got, id) {
				t.Errorf("run %d missing from %v", id, got)
			}
		}
		if !slices.IsSortedFunc(got, func(x, y int64) int { return int(y - x) }) {
			t.Errorf("runs %v are not newest first", got)
		}
	})

	t.Run("ListByStatus", func(t *testing.T) {
		t.Parallel()
		f, a, b, aRuns, bRuns := setupRuns(t)
		var p page
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=completed", a.ID), nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, aRuns[:1]) || p.Runs[0].Status != "completed" {
			t.Errorf("completed runs of a = %v, want %v", got, aRuns[:1])
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=failed", a.ID), nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, aRuns[1:2]) {
			t.Errorf("failed runs of a = %v, want %v", got, aRuns[1:2])
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=queued", b.ID), nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, []int64{bRuns[1], bRuns[0]}) {
			t.Errorf("queued runs of b = %v, want %v", got, []int64{bRuns[1], bRuns[0]})
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=running", b.ID), nil), http.StatusOK, &p)
		if len(p.Runs) != 0 {
			t.Errorf("running runs of b = %v, want none", ids(p))
		}
		f.expect(f.send(http.MethodGet, "/api/runs?status=completed", nil), http.StatusOK, &p)
		for _, r := range p.Runs {
			if r.Status != "completed" {
				t.Errorf("run %d is %s in a list of completed runs", r.ID, r.Status)
			}
		}
	})

	t.Run("ListPagesBackwards", func(t *testing.T) {
		t.Parallel()
		f, a, _, aRuns, _ := setupRuns(t)
		var p page
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=2", a.ID), nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, []int64{aRuns[4], aRuns[3]}) || p.NextBefore == nil || *p.NextBefore != aRuns[3] {
			t.Fatalf("page 1 = %v, next_before %v; want [%d %d], %d", got, p.NextBefore, aRuns[4], aRuns[3], aRuns[3])
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=2&before=%d", a.ID, *p.NextBefore), nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, []int64{aRuns[2], aRuns[1]}) || p.NextBefore == nil || *p.NextBefore != aRuns[1] {
			t.Fatalf("page 2 = %v, next_before %v; want [%d %d], %d", got, p.NextBefore, aRuns[2], aRuns[1], aRuns[1])
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=2&before=%d", a.ID, *p.NextBefore), nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, aRuns[:1]) || p.NextBefore != nil {
			t.Errorf("page 3 = %v, next_before %v; want %v, null", got, p.NextBefore, aRuns[:1])
		}
		// A page that is exactly full has no next page.
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=5", a.ID), nil), http.StatusOK, &p)
		if len(p.Runs) != 5 || p.NextBefore != nil {
			t.Errorf("limit 5 of 5: %d runs, next_before %v; want 5, null", len(p.Runs), p.NextBefore)
		}
	})

	t.Run("GetAnswersTheRun", func(t *testing.T) {
		t.Parallel()
		f, a, _, aRuns, _ := setupRuns(t)
		var r apiRun
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/runs/%d", aRuns[0]), nil), http.StatusOK, &r)
		if r.ID != aRuns[0] || r.JobID != a.ID || r.Status != "completed" || r.Trigger != "manual" || r.Attempts != 1 {
			t.Errorf("run = %+v, want run %d of job %d, completed after one attempt", r, aRuns[0], a.ID)
		}
	})

	for _, query := range []string{"status=done", "job_id=x", "job_id=0", "limit=0", "limit=501", "before=x", "before=-5"} {
		field, _, _ := strings.Cut(query, "=")
		t.Run("BadQueryIsRejected_"+query, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.expectProblem(f.send(http.MethodGet, "/api/runs?"+query, nil), http.StatusUnprocessableEntity, field)
		})
	}
}

func TestAPIStats(t *testing.T) {
	t.Parallel()
	f := setup(t)
	type stats struct {
		Jobs int64            `json:"jobs"`
		Runs map[string]int64 `json:"runs"`
	}
	statuses := []string{"queued", "running", "completed", "failed", "permanently_failed", "missed", "skipped", "cancelled"}

	var before stats
	f.expect(f.send(http.MethodGet, "/api/stats", nil), http.StatusOK, &before)
	for _, s := range statuses {
		if _, ok := before.Runs[s]; !ok {
			t.Errorf("runs has no %q count: %v", s, before.Runs)
		}
	}
	if len(before.Runs) != len(statuses) {
		t.Errorf("runs = %v, want exactly %v", before.Runs, statuses)
	}

	a, b := f.createJob(pingJob), f.createJob(pingJob)
	f.createJob(pingJob)
	// Job a: 1 queued, 1 running, 2 completed; job b: 3 failed, 1 permanently failed.
	dbtest.InsertRun(f.t, f.q, a.ID, runstatus.Queued, "", "")
	dbtest.InsertRun(f.t, f.q, a.ID, "running", "ok", "boom")
	for range 2 {
		dbtest.InsertRun(f.t, f.q, a.ID, "completed", "ok", "boom")
	}
	for range 3 {
		dbtest.InsertRun(f.t, f.q, b.ID, "failed", "ok", "boom")
	}
	dbtest.InsertRun(f.t, f.q, b.ID, "permanently_failed", "ok", "boom")

	var after stats
	f.expect(f.send(http.MethodGet, "/api/stats", nil), http.StatusOK, &after)
	if after.Jobs-before.Jobs != 3 {
		t.Errorf("jobs went from %d to %d, want 3 more", before.Jobs, after.Jobs)
	}
	want := map[string]int64{"queued": 1, "running": 1, "completed": 2, "failed": 3, "permanently_failed": 1}
	for _, s := range statuses {
		if d := after.Runs[s] - before.Runs[s]; d != want[s] {
			t.Errorf("%s runs went from %d to %d, want %d more", s, before.Runs[s], after.Runs[s], want[s])
		}
	}
}

func TestAPIHealth(t *testing.T) {
	t.Parallel()

	t.Run("HealthzIsOK", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.setReady(map[string]string{"postgres": "down"}) // Liveness does not depend on readiness.
		var body map[string]string
		f.expect(f.send(http.MethodGet, "/healthz", nil), http.StatusOK, &body)
		if body["status"] != "ok" {
			t.Errorf("body = %v", body)
		}
	})

	t.Run("ReadyzIsOKWhenNothingIsWrong", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var body map[string]any
		f.expect(f.send(http.MethodGet, "/readyz", nil), http.StatusOK, &body)
		f.setReady(map[string]string{})
		f.expect(f.send(http.MethodGet, "/readyz", nil), http.StatusOK, &body)
	})

	t.Run("ReadyzListsTheProblems", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		problems := map[string]string{"rabbitmq": "connection refused", "postgres": "timeout"}
		f.setReady(problems)
		var body struct {
			Problems map[string]string `json:"problems"`
		}
		f.expect(f.send(http.MethodGet, "/readyz", nil), http.StatusServiceUnavailable, &body)
		if len(body.Problems) != 2 || body.Problems["rabbitmq"] != "connection refused" || body.Problems["postgres"] != "timeout" {
			t.Errorf("problems = %v, want %v", body.Problems, problems)
		}
		f.setReady(nil)
		f.expect(f.send(http.MethodGet, "/readyz", nil), http.StatusOK, &body)
	})
}

func TestAPIErrorHandler(t *testing.T) {
	t.Parallel()

	t.Run("PageNotFoundIsNotJSON", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		rec := f.send(http.MethodGet, "/no/such/page", nil)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); strings.Contains(ct, "json") {
			t.Errorf("Content-Type = %q, want not JSON", ct)
		}
		if json.Valid(rec.Body.Bytes()) {
			t.Errorf("body is JSON: %s", rec.Body)
		}
	})

	t.Run("PageNotFoundIsJSONForAJSONClient", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.expectProblem(f.send(http.MethodGet, "/no/such/page", nil, "Accept", "application/json"), http.StatusNotFound, "")
	})

	t.Run("UnknownAPIPathIsJSON", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.expectProblem(f.send(http.MethodGet, "/api/no-such-thing", nil), http.StatusNotFound, "")
	})

	t.Run("WrongMethodIsJSON", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.expectProblem(f.send(http.MethodPatch, "/api/jobs/1", nil), http.StatusMethodNotAllowed, "")
	})
}
