package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// A backfill (sched-b) makes the slots the scheduler makes for the job (sched-a): its H tokens and
// jitter chosen from its id, none before its start_at, so that a backfilled slot and a scheduled
// one are the same run.
func TestABackfillFollowsTheJobsOwnSchedule(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var j apiWindow
	f.expect(f.postJSON("/api/jobs", `{"name": "Spread", "type": "ping", "cron": "H * * * *", "jitter": "5m",
		"start_at": "2026-11-01T01:30:00Z", "payload": {"url": "https://example.com/"}}`), http.StatusCreated, &j)

	var got map[string]int
	f.expect(f.postJSON(fmt.Sprintf("/api/jobs/%d/backfill", j.ID), `{"from": "2026-11-01T00:00:00Z", "to": "2026-11-01T03:00:00Z"}`),
		http.StatusAccepted, &got)

	end := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	var want []time.Time
	for _, slot := range f.preview(url.Values{"cron": {"H * * * *"}, "jitter": {"5m"}, "job_id": {itoa64(j.ID)},
		"from": {"2026-11-01T01:29:59.999999Z"}, "count": {"3"}}) {
		if slot.Before(end) {
			want = append(want, slot)
		}
	}
	runs, err := f.q.RunListByJob(context.Background(), sqlcgen.RunListByJobParams{JobID: j.ID, BeforeID: 1 << 62, MaxRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	var made []time.Time
	for _, r := range runs {
		made = append(made, r.ScheduledAt.UTC())
	}
	slices.SortFunc(made, time.Time.Compare)
	if len(want) == 0 || !slices.EqualFunc(made, want, time.Time.Equal) || got["created"] != len(want) {
		t.Errorf("backfill made runs at %v (%v), want the job's own slots %v", made, got, want)
	}
}
