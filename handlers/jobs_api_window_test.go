package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/schedule"
)

// windowJob is a job with every field of issue 21's first half.
const windowJob = `{"name": "Spread", "type": "ping", "cron": "H H(0-5) * * *", "payload": {"url": "https://example.com/"},
	"jitter": "30s", "start_at": "2026-01-01T00:00:00+01:00", "end_at": "2099-01-01T00:00:00Z",
	"blackouts": [{"from": "2030-12-24T00:00:00Z", "to": "2030-12-27T00:00:00Z"}]}`

// apiWindow is what the API shows of a job's jitter and windows.
type apiWindow struct {
	ID        int64      `json:"id"`
	Cron      string     `json:"cron"`
	NextRunAt *time.Time `json:"next_run_at"`
	Jitter    string     `json:"jitter"`
	StartAt   *time.Time `json:"start_at"`
	EndAt     *time.Time `json:"end_at"`
	Blackouts []struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	} `json:"blackouts"`
}

func TestJobJitterAndWindows(t *testing.T) {
	t.Parallel()

	t.Run("TheFieldsAreKeptAndTheNextRunIsTheJobsOwn", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var j apiWindow
		f.expect(f.send(http.MethodPost, "/api/jobs", jsonBody(windowJob), "Content-Type", "application/json"), http.StatusCreated, &j)
		if j.Jitter != "30s" || j.StartAt == nil || !j.StartAt.Equal(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)) ||
			j.EndAt == nil || len(j.Blackouts) != 1 || !j.Blackouts[0].From.Equal(time.Date(2030, 12, 24, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("job = %+v", j)
		}
		// The next run is computed with the job's id, as the scheduler computes it.
		sched, err := schedule.Job{ID: j.ID, Cron: j.Cron, Jitter: 30 * time.Second}.Schedule()
		if err != nil {
			t.Fatal(err)
		}
		if want := sched.Next(time.Now()); j.NextRunAt == nil || !j.NextRunAt.Equal(want) {
			t.Errorf("next_run_at = %v, want %v (the job's own H and jitter)", j.NextRunAt, want)
		}
		var got apiWindow
		f.expect(f.send(http.MethodGet, "/api/jobs/"+itoa64(j.ID), nil), http.StatusOK, &got)
		if got.Jitter != "30s" || len(got.Blackouts) != 1 {
			t.Errorf("GET answers %+v", got)
		}
	})

	t.Run("ExportImportAndTheAuditLogCarryThem", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(windowJob)
		doc := f.export()
		if len(doc.Jobs) != 1 || !strings.Contains(string(doc.Jobs[0]), `"jitter":"30s"`) ||
			!strings.Contains(string(doc.Jobs[0]), `"blackouts":[{"from":"2030-12-24T00:00:00Z","to":"2030-12-27T00:00:00Z"}]`) {
			t.Fatalf("export = %s", doc.Jobs)
		}
		raw, _ := json.Marshal(map[string]any{"version": 1, "jobs": doc.Jobs})
		if res := f.importDoc("", string(raw)); res.Unchanged != 1 {
			t.Errorf("the export imported again = %+v, want the job unchanged", res)
		}
		edited := strings.Replace(windowJob, `"jitter": "30s"`, `"jitter": "1m"`, 1)
		f.expect(f.send(http.MethodPut, "/api/jobs/"+itoa64(j.ID), jsonBody(edited), "Content-Type", "application/json"), http.StatusOK, nil)
		entries := f.audit("/api/audit").Entries
		if len(entries) == 0 || entries[0].Action != "job.update" || entries[0].Changes["jitter"].To != "1m0s" {
			t.Errorf("audit = %+v, want the jitter's change", entries)
		}
	})

	t.Run("AnImportedJobsNextRunIsItsOwn", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if res := f.importDoc("", `{"version": 1, "jobs": [`+windowJob+`]}`); res.Created != 1 {
			t.Fatalf("import = %+v", res)
		}
		var list struct{ Jobs []apiWindow }
		f.expect(f.send(http.MethodGet, "/api/jobs", nil), http.StatusOK, &list)
		j := list.Jobs[0]
		sched, err := schedule.Job{ID: j.ID, Cron: j.Cron, Jitter: 30 * time.Second}.Schedule()
		if err != nil {
			t.Fatal(err)
		}
		if want := sched.Next(time.Now()); j.NextRunAt == nil || !j.NextRunAt.Equal(want) {
			t.Errorf("next_run_at = %v, want %v (the job's own H and jitter)", j.NextRunAt, want)
		}
	})

	t.Run("BadValuesAreNamed", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		for field, body := range map[string]string{
			"jitter":    `"jitter": "2h"`,
			"start_at":  `"start_at": "tomorrow"`,
			"end_at":    `"start_at": "2030-01-02T00:00:00Z", "end_at": "2030-01-01T00:00:00Z"`,
			"blackouts": `"blackouts": [{"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}]`,
			"cron":      `"cron": "H(0-99) * * * *"`,
		} {
			job := `{"type": "ping", "cron": "0 * * * *", "payload": {"url": "https://example.com/"}, ` + body + `}`
			if field == "cron" {
				job = `{"type": "ping", "payload": {"url": "https://example.com/"}, ` + body + `}`
			}
			p := f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(job), "Content-Type", "application/json"),
				http.StatusUnprocessableEntity, field)
			if field == "cron" && !strings.Contains(p.Fields["cron"], "H token") {
				t.Errorf("cron problem = %q, want it to name the H token", p.Fields["cron"])
			}
		}
		many := `{"type": "ping", "cron": "0 * * * *", "payload": {"url": "https://example.com/"}, "blackouts": [` +
			strings.Repeat(`{"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z"},`, 100) +
			`{"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z"}]}`
		f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(many), "Content-Type", "application/json"),
			http.StatusUnprocessableEntity, "blackouts")
		if n := f.jobCount(); n != 0 {
			t.Errorf("%d jobs stored from rejected requests", n)
		}
	})
}
