package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/runstatus"
)

func TestAPIJobGetAndList(t *testing.T) {
	t.Parallel()

	t.Run("GetAnswersTheStoredJob", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		created := f.createJob(pingJob)
		var got apiJob
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs/%d", created.ID), nil), http.StatusOK, &got)
		if got.ID != created.ID || got.Name != created.Name || got.Cron != created.Cron || !jsonEqual(t, got.Payload, string(created.Payload)) ||
			got.NextRunAt == nil || !got.NextRunAt.Equal(*created.NextRunAt) || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("GET = %+v, want %+v", got, created)
		}
	})

	t.Run("ListPagesThroughJobsByID", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var ids []int64
		for i := range 5 {
			j := f.createJob(fmt.Sprintf(`{"name": "job %d", "type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}}`, i))
			ids = append(ids, j.ID)
		}
		type page struct {
			Jobs      []apiJob `json:"jobs"`
			NextAfter *int64   `json:"next_after"`
		}
		var got []int64
		after := ids[0] - 1
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatalf("more pages than expected; ids so far %v", got)
			}
			var p page
			f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs?limit=2&after=%d", after), nil), http.StatusOK, &p)
			if len(p.Jobs) > 2 {
				t.Fatalf("page has %d jobs, want at most 2", len(p.Jobs))
			}
			for _, j := range p.Jobs {
				got = append(got, j.ID)
			}
			if p.NextAfter == nil {
				break
			}
			if *p.NextAfter != p.Jobs[len(p.Jobs)-1].ID {
				t.Errorf("next_after = %d, want the last id on the page, %d", *p.NextAfter, p.Jobs[len(p.Jobs)-1].ID)
			}
			after = *p.NextAfter
		}
		if !slices.Equal(got, ids) {
			t.Errorf("listed ids = %v, want %v", got, ids)
		}
	})

	t.Run("FullLastPageHasNoNextCursor", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		first := f.createJob(pingJob)
		f.createJob(pingJob)
		var p struct {
			Jobs      []apiJob        `json:"jobs"`
			NextAfter json.RawMessage `json:"next_after"`
		}
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs?limit=2&after=%d", first.ID-1), nil), http.StatusOK, &p)
		if len(p.Jobs) != 2 || string(p.NextAfter) != "null" {
			t.Errorf("got %d jobs and next_after %s, want 2 and null", len(p.Jobs), p.NextAfter)
		}
	})

	t.Run("EmptyListIsAnEmptyArray", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(pingJob)
		rec := f.send(http.MethodGet, fmt.Sprintf("/api/jobs?after=%d", j.ID), nil)
		f.expect(rec, http.StatusOK, nil)
		if !jsonEqual(t, rec.Body.Bytes(), `{"jobs": [], "next_after": null}`) {
			t.Errorf("body = %s, want no jobs", rec.Body)
		}
	})

	for _, query := range []string{"limit=0", "limit=501", "limit=ten", "after=-1", "after=x"} {
		field, _, _ := strings.Cut(query, "=")
		t.Run("BadQueryIsRejected_"+query, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.expectProblem(f.send(http.MethodGet, "/api/jobs?"+query, nil), http.StatusUnprocessableEntity, field)
		})
	}
}

// TestAPIUnknownIDIsNotFound checks every route that takes an id, with an id that is not there and
// with one that is not a number.
func TestAPIUnknownIDIsNotFound(t *testing.T) {
	t.Parallel()

	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/api/jobs/%s", ""},
		{http.MethodPut, "/api/jobs/%s", pingJob},
		{http.MethodDelete, "/api/jobs/%s", ""},
		{http.MethodPost, "/api/jobs/%s/run", ""},
		{http.MethodPost, "/api/jobs/%s/pause", ""},
		{http.MethodPost, "/api/jobs/%s/resume", ""},
		{http.MethodGet, "/api/runs/%s", ""},
	}
	for _, r := range routes {
		for _, id := range []string{"999999999", "abc", "0", "-1"} {
			t.Run(r.method+strings.ReplaceAll(fmt.Sprintf(r.path, id), "/", "_"), func(t *testing.T) {
				t.Parallel()
				f := setup(t)
				before := f.jobCount()
				f.expectProblem(f.send(r.method, fmt.Sprintf(r.path, id), jsonBody(r.body), "Content-Type", "application/json"), http.StatusNotFound, "")
				if after := f.jobCount(); after != before {
					t.Errorf("jobs = %d, want %d", after, before)
				}
				if msgs := f.pub.published(); len(msgs) != 0 {
					t.Errorf("published %v, want nothing", msgs)
				}
			})
		}
	}
}

func TestAPIJobUpdate(t *testing.T) {
	t.Parallel()

	t.Run("UpdateReplacesTheJob", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		created := f.createJob(pingJob)
		var got apiJob
		rec := f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), jsonBody(`{"name": "Report", "type": "email",
			"hour": 6, "minute": 30, "timezone": "America/New_York", "max_retries": 5, "retry_delay": "10s", "timeout": "1m",
			"payload": {"to": "ann@example.com", "subject": "Report", "body": "Attached"}}`), "Content-Type", "application/json")
		f.expect(rec, http.StatusOK, &got)
		if got.ID != created.ID || got.Name != "Report" || got.Type != "email" || got.Cron != "30 6 * * *" ||
			got.Timezone != "America/New_York" || got.MaxRetries != 5 || got.RetryDelay != "10s" || got.Timeout != "1m0s" {
			t.Errorf("updated job = %+v", got)
		}
		f.checkPayload(got, `{"to": ["ann@example.com"], "subject": "Report", "body": "Attached"}`)
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		if n := got.NextRunAt; n == nil || n.In(ny).Hour() != 6 || n.In(ny).Minute() != 30 || !n.After(time.Now()) {
			t.Errorf("next_run_at = %v, want the next 06:30 in New York", n)
		}
		if !got.UpdatedAt.After(created.UpdatedAt) || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("created_at, updated_at = %v, %v; want %v and later than %v", got.CreatedAt, got.UpdatedAt, created.CreatedAt, created.UpdatedAt)
		}
		s := f.storedJob(created.ID)
		if s.Name != "Report" || s.Type != "email" || s.Cron != "30 6 * * *" || s.Timezone != "America/New_York" ||
			s.MaxRetries != 5 || s.RetryDelayMs != 10000 || s.TimeoutMs != 60000 || s.NextRunAt == nil || !s.NextRunAt.Equal(*got.NextRunAt) {
			t.Errorf("stored job = %+v", s)
		}
		if n := f.jobCount(); n != 1 {
			t.Errorf("jobs = %d, want 1: an update must not add a job", n)
		}
	})

	t.Run("InvalidUpdateLeavesTheJobUnchanged", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		created := f.createJob(pingJob)
		before := f.storedJob(created.ID)
		f.expectProblem(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), jsonBody(`{"name": "Broken", "type": "ping", "hour": 24, "minute": 0, "payload": {"url": "https://example.com"}}`), "Content-Type", "application/json"),
			http.StatusUnprocessableEntity, "hour")
		after := f.storedJob(created.ID)
		if !jobsEqual(before, after) {
			t.Errorf("job changed by a rejected update:\nbefore %+v\nafter  %+v", before, after)
		}
	})

	t.Run("UpdateOfAnUnknownIDIsNotFoundWhateverTheBody", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		before := f.jobCount()
		f.expectProblem(f.send(http.MethodPut, "/api/jobs/999999999", jsonBody(`{"type": "ping", "hour": 24}`), "Content-Type", "application/json"), http.StatusNotFound, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d, want %d", after, before)
		}
	})

	t.Run("UpdateThatIsNotJSONLeavesTheJobUnchanged", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		created := f.createJob(pingJob)
		before := f.storedJob(created.ID)
		f.expectProblem(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), jsonBody(`name=Broken`), "Content-Type", "application/json"), http.StatusBadRequest, "")
		if after := f.storedJob(created.ID); !jobsEqual(before, after) {
			t.Errorf("job changed by a rejected update:\nbefore %+v\nafter  %+v", before, after)
		}
	})

	t.Run("UpdateOfAPausedJobKeepsItPaused", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		created := f.createJob(pingJob)
		f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/pause", created.ID), nil), http.StatusOK, nil)
		var got apiJob
		f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), jsonBody(pingJob), "Content-Type", "application/json"), http.StatusOK, &got)
		if !got.Paused || got.NextRunAt != nil {
			t.Errorf("paused, next_run_at = %v, %v; want true, null", got.Paused, got.NextRunAt)
		}
	})
}

func jobsEqual(a, b sqlcgen.Job) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Type == b.Type && bytes.Equal(a.Payload, b.Payload) && a.Cron == b.Cron &&
		a.Timezone == b.Timezone && a.MaxRetries == b.MaxRetries && a.RetryDelayMs == b.RetryDelayMs &&
		a.TimeoutMs == b.TimeoutMs && a.Paused == b.Paused && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		(a.NextRunAt == nil) == (b.NextRunAt == nil) && (a.NextRunAt == nil || a.NextRunAt.Equal(*b.NextRunAt))
}

func TestAPIJobDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	doomed := f.createJob(pingJob)
	kept := f.createJob(pingJob)
	doomedRuns := []sqlcgen.Run{dbtest.InsertRun(f.t, f.q, doomed.ID, runstatus.Queued, "", ""), dbtest.InsertRun(f.t, f.q, doomed.ID, runstatus.Queued, "", "")}
	keptRun := dbtest.InsertRun(f.t, f.q, kept.ID, runstatus.Queued, "", "")

	rec := f.send(http.MethodDelete, fmt.Sprintf("/api/jobs/%d", doomed.ID), nil)
	f.expect(rec, http.StatusNoContent, nil)
	if rec.Body.Len() != 0 {
		t.Errorf("204 with a body: %s", rec.Body)
	}
	if _, err := f.q.JobGet(ctx, doomed.ID); !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("get deleted job: err = %v, want no rows", err)
	}
	for _, r := range doomedRuns {
		if _, err := f.q.RunGet(ctx, r.ID); !errors.Is(err, pgx.ErrNoRows) {
			t.Errorf("get run %d of the deleted job: err = %v, want no rows", r.ID, err)
		}
	}
	f.expectProblem(f.send(http.MethodGet, fmt.Sprintf("/api/jobs/%d", doomed.ID), nil), http.StatusNotFound, "")
	f.expectProblem(f.send(http.MethodGet, fmt.Sprintf("/api/runs/%d", doomedRuns[0].ID), nil), http.StatusNotFound, "")
	f.expectProblem(f.send(http.MethodDelete, fmt.Sprintf("/api/jobs/%d", doomed.ID), nil), http.StatusNotFound, "")

	f.storedJob(kept.ID)
	if _, err := f.q.RunGet(ctx, keptRun.ID); err != nil {
		t.Errorf("the other job's run is gone: %v", err)
	}
}

func TestAPIJobPauseAndResume(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.createJob(pingJob)
	path := fmt.Sprintf("/api/jobs/%d", j.ID)

	var raw map[string]json.RawMessage
	f.expect(f.send(http.MethodPost, path+"/pause", nil), http.StatusOK, &raw)
	if string(raw["paused"]) != "true" || string(raw["next_run_at"]) != "null" {
		t.Errorf("after pause: paused %s, next_run_at %s; want true, null", raw["paused"], raw["next_run_at"])
	}
	if !f.storedJob(j.ID).Paused {
		t.Error("stored job is not paused")
	}
	var got apiJob
	f.expect(f.send(http.MethodGet, path, nil), http.StatusOK, &got)
	if !got.Paused || got.NextRunAt != nil {
		t.Errorf("GET after pause: paused %v, next_run_at %v; want true, null", got.Paused, got.NextRunAt)
	}

	// Pausing twice is harmless.
	f.expect(f.send(http.MethodPost, path+"/pause", nil), http.StatusOK, &got)
	if !got.Paused {
		t.Error("second pause unpaused the job")
	}

	before := time.Now()
	f.expect(f.send(http.MethodPost, path+"/resume", nil), http.StatusOK, &got)
	after := time.Now()
	if got.Paused || got.NextRunAt == nil || !got.NextRunAt.After(before) || got.NextRunAt.After(after.Add(5*time.Minute)) ||
		got.NextRunAt.Minute()%5 != 0 || got.NextRunAt.Second() != 0 {
		t.Errorf("after resume: paused %v, next_run_at %v; want false and the next 5-minute mark after %v", got.Paused, got.NextRunAt, before)
	}
	if s := f.storedJob(j.ID); s.Paused || s.NextRunAt == nil || !s.NextRunAt.Equal(*got.NextRunAt) {
		t.Errorf("stored after resume: paused %v, next_run_at %v", s.Paused, s.NextRunAt)
	}
}

func TestAPIJobRunNow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.createJob(pingJob)

	before := time.Now()
	rec := f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", j.ID), nil)
	var run apiRun
	f.expect(rec, http.StatusAccepted, &run)
	if run.ID <= 0 || run.JobID != j.ID || run.Status != "queued" || run.Trigger != "manual" || run.Attempts != 0 {
		t.Errorf("run = %+v, want a queued manual run of job %d", run, j.ID)
	}
	if run.ScheduledAt.Before(before.Add(-time.Minute)) || run.ScheduledAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("scheduled_at = %v, want about now", run.ScheduledAt)
	}
	want := []runmsg.Message{{RunID: run.ID, JobID: j.ID}}
	if got := f.pub.published(); !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	stored, err := f.q.RunGet(context.Background(), run.ID)
	if err != nil {
		t.Fatalf("get run: %v", err)
	}
	if stored.JobID != j.ID || stored.Status != "queued" || stored.Trigger != "manual" {
		t.Errorf("stored run = %+v", stored)
	}

	// A paused job can still be run by hand.
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/pause", j.ID), nil), http.StatusOK, nil)
	var second apiRun
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", j.ID), nil), http.StatusAccepted, &second)
	if second.ID == run.ID || len(f.pub.published()) != 2 {
		t.Errorf("second run %d, published %v; want a new run published", second.ID, f.pub.published())
	}
}
