package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/schedule/scheduletest"
)

// preview asks GET /api/schedule/preview with the query q and answers its runs.
func (f *fixture) preview(q url.Values) []time.Time {
	f.t.Helper()
	var out struct {
		Runs []time.Time `json:"runs"`
	}
	f.expect(f.send(http.MethodGet, "/api/schedule/preview?"+q.Encode(), nil), http.StatusOK, &out)
	return out.Runs
}

// The preview and the scheduler's own next-slot code (worker.NextSlots, the stepping of its cron
// entries) agree on every case of the daylight-saving table, and on H tokens and jitter for a job
// id, on both sides of restarts: both compute from the same inputs alone.
func TestThePreviewAndTheSchedulerAgree(t *testing.T) {
	t.Parallel()
	f := setup(t)
	type tcase struct {
		scheduletest.ZoneCase
		jitter string
		jobID  int64
	}
	cases := []tcase{}
	for _, zc := range scheduletest.ZoneCases {
		cases = append(cases, tcase{ZoneCase: zc})
	}
	from := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC)
	cases = append(cases,
		tcase{scheduletest.ZoneCase{Name: "HTokensOfAJob", Cron: "H H(0-5) * * *", Timezone: "Europe/Berlin", From: from}, "", 4711},
		tcase{scheduletest.ZoneCase{Name: "JitterOfAJob", Cron: "*/10 * * * *", Timezone: "America/New_York", From: from}, "5m", 4711},
		tcase{scheduletest.ZoneCase{Name: "BothInTheRepeatedHour", Cron: "H/20 1 * * *", Timezone: "America/New_York", From: from}, "1h", 99})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			n := max(len(tc.Want), 5)
			q := url.Values{"cron": {tc.Cron}, "timezone": {tc.Timezone}, "from": {tc.From.Format(time.RFC3339)}, "count": {itoa(n)}}
			jitterMs := int64(0)
			if tc.jitter != "" {
				q.Set("jitter", tc.jitter)
				d, _ := time.ParseDuration(tc.jitter)
				jitterMs = d.Milliseconds()
			}
			if tc.jobID != 0 {
				q.Set("job_id", itoa64(tc.jobID))
			}
			previewed := f.preview(q)
			scheduled, err := worker.NextSlots(sqlcgen.JobScheduleListRow{ID: tc.jobID, Cron: tc.Cron, Timezone: tc.Timezone, JitterMs: jitterMs}, tc.From, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(previewed) != n || len(scheduled) != n {
				t.Fatalf("preview %v, scheduler %v: want %d each", previewed, scheduled, n)
			}
			for i := range n {
				if !previewed[i].Equal(scheduled[i]) {
					t.Fatalf("preview %v, scheduler %v", previewed, scheduled)
				}
				if i < len(tc.Want) && !previewed[i].Equal(tc.Want[i]) {
					t.Fatalf("preview %v, want %v", previewed, tc.Want)
				}
			}
		})
	}
}

func TestSchedulePreview(t *testing.T) {
	t.Parallel()
	f := setup(t)

	t.Run("TenRunsAfterNowByDefault", func(t *testing.T) {
		before := time.Now()
		runs := f.preview(url.Values{"cron": {"* * * * *"}})
		if len(runs) != 10 || !runs[0].After(before) || runs[0].Sub(before) > time.Minute || runs[9].Sub(runs[0]) != 9*time.Minute {
			t.Fatalf("runs = %v", runs)
		}
	})

	t.Run("JitterMovesEverySlotAlike", func(t *testing.T) {
		q := url.Values{"cron": {"0 * * * *"}, "from": {"2027-01-01T00:00:00Z"}, "count": {"3"}, "job_id": {"12"}, "jitter": {"30m"}}
		runs := f.preview(q)
		off := runs[0].Sub(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) % time.Hour
		for _, r := range runs {
			if r.Sub(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))%time.Hour != off || off >= 30*time.Minute {
				t.Fatalf("runs = %v, offset %s", runs, off)
			}
		}
	})

	t.Run("BadInputNamesTheParameter", func(t *testing.T) {
		for param, q := range map[string]string{
			"cron":     "cron=61+*+*+*+*",
			"timezone": "cron=*+*+*+*+*&timezone=Mars/Olympus",
			"from":     "cron=*+*+*+*+*&from=yesterday",
			"count":    "cron=*+*+*+*+*&count=101",
			"jitter":   "cron=*+*+*+*+*&jitter=2h",
			"job_id":   "cron=*+*+*+*+*&job_id=x",
		} {
			p := f.expectProblem(f.send(http.MethodGet, "/api/schedule/preview?"+q, nil), http.StatusUnprocessableEntity, param)
			if len(p.Fields) != 1 {
				t.Errorf("%s: fields = %v, want only %s", q, p.Fields, param)
			}
		}
		p := f.expectProblem(f.send(http.MethodGet, "/api/schedule/preview?cron=H(5-1)+*+*+*+*", nil), http.StatusUnprocessableEntity, "cron")
		if !strings.Contains(p.Fields["cron"], "H token") {
			t.Errorf("cron problem = %q", p.Fields["cron"])
		}
	})
}

func itoa(n int) string { return itoa64(int64(n)) }
