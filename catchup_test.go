package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestMissedRunsAreCountedAndShown(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// A job every hour whose last ten slots passed while no Cronflow was running (hourly, so that
	// no new slot comes while the test runs).
	q := sqlcgen.New(pool)
	tg := newHTTPTarget(t, 0)
	from := time.Now().Truncate(time.Hour).Add(-9 * time.Hour)
	insertJobs(t, q, 1, sqlcgen.JobInsertParams{Name: "hourly", Type: "ping", Payload: json.RawMessage(`{"url": "` + tg.URL + `"}`),
		Cron: "0 * * * *", Timezone: "UTC", MaxRetries: 0, RetryDelayMs: 1000, TimeoutMs: 5000,
		Catchup: schedule.CatchupLatest, NextRunAt: &from})
	app := startApp(t, "serve", env)

	var stats struct {
		Runs map[string]int64 `json:"runs"`
	}
	workertest.WaitFor(t, 20*time.Second, "one run and nine missed", func() bool {
		app.call(http.MethodGet, "/api/stats", nil, &stats)
		return stats.Runs["completed"] == 1 && stats.Runs["missed"] == 9
	})
	body := app.get("/metrics")
	if !strings.Contains(body, "cronflow_missed_slots_total 9\n") {
		t.Errorf("/metrics does not count the nine missed slots")
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(app.get("/runs?status=missed")))
	if err != nil {
		t.Fatal(err)
	}
	rows := doc.Find(`[data-testid="run-row"]`)
	rows.Each(func(_ int, row *goquery.Selection) {
		if !strings.Contains(row.Text(), "older than the catch-up window") {
			t.Errorf("a missed run's row does not say why: %q", strings.Join(strings.Fields(row.Text()), " "))
		}
	})
	if rows.Length() != 9 {
		t.Errorf("the runs page filtered by missed lists %d runs, want 9", rows.Length())
	}
	// The home page's totals are counted every few seconds.
	workertest.WaitFor(t, 20*time.Second, "the home page counts the missed runs", func() bool {
		return strings.Contains(app.get("/"), "9 missed runs")
	})
}
