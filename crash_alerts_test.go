package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/brokertest"
	"github.com/cronflow/cronflow/worker/workertest"
)

// TestAlertsAreDeliveredOnceAcrossACrash follows a job that fails, alerts, and recovers, with a
// Cronflow process killed while its failing notice waits for a retry: each channel gets exactly
// one failing and one recovered notice.
func TestAlertsAreDeliveredOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	type receipt struct {
		event, key string
		code       int
	}
	var mu sync.Mutex
	var got []receipt
	hook := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Event string `json:"event"`
		}
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
		mu.Lock()
		defer mu.Unlock()
		code := http.StatusOK
		if len(got) == 0 {
			code = http.StatusServiceUnavailable // the first notice is retried through the broker
		}
		got = append(got, receipt{body.Event, r.Header.Get("Idempotency-Key"), code})
		w.WriteHeader(code)
	}))
	receipts := func(event string, code int) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range got {
			if r.event == event && r.code == code {
				n++
			}
		}
		return n
	}
	var failing atomic.Bool
	failing.Store(true)
	target := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))

	env := testEnv(t)
	env["CRONFLOW_PUBLIC_URL"] = "https://cron.example.com"
	top := broker.NewTopology(env["AMQP_PREFIX"])
	brokertest.DeleteAtCleanup(t, []string{top.NoticeRetryQueue(worker.NoticeRetryDelays[0])}, nil)
	db, err := pgx.Connect(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	q := sqlcgen.New(db)

	first := startProcess(t, env)
	var ch struct{ ID int64 }
	if code := first.app.call(http.MethodPost, "/api/channels", map[string]any{"name": "ops", "type": "webhook",
		"config": map[string]any{"url": hook.URL}}, &ch); code != http.StatusCreated {
		t.Fatalf("create channel: %d", code)
	}
	job := first.app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "max_retries": 0,
		"payload": map[string]any{"url": target.URL}, "alerts": map[string]any{"channels": []int64{ch.ID}, "after": 2}})
	runOnce := func(app *testApp, status string) {
		t.Helper()
		var run apiRun
		app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
		app.waitRun(run.ID, status)
	}
	notices := func() []sqlcgen.NoticeListByJobRow {
		n, err := q.NoticeListByJob(context.Background(), &job.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	runOnce(first.app, "permanently_failed")
	runOnce(first.app, "permanently_failed")
	workertest.WaitFor(t, 20*time.Second, "the failing notice's first delivery fails and waits for its retry", func() bool {
		n := notices()
		return len(n) == 1 && n[0].Status == "retrying"
	})
	first.kill()

	second := startProcess(t, env)
	workertest.WaitFor(t, 30*time.Second, "the failing notice is delivered by the new process", func() bool {
		return receipts("job.failing", http.StatusOK) == 1
	})
	runOnce(second.app, "permanently_failed")
	failing.Store(false)
	runOnce(second.app, "completed")
	workertest.WaitFor(t, 20*time.Second, "the recovered notice is delivered", func() bool {
		n := notices()
		return len(n) == 2 && n[1].Status == "sent"
	})
	runOnce(second.app, "completed")

	n := notices()
	if len(n) != 2 || n[0].Event != "job.failing" || n[0].Status != "sent" || n[0].Attempts != 2 ||
		n[1].Event != "job.recovered" || n[1].Status != "sent" || n[1].Attempts != 1 {
		t.Fatalf("notices = %+v, want one failing (sent on its 2nd attempt) and one recovered", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[0].key != got[1].key || got[1].key == got[2].key {
		t.Errorf("the channel got %+v, want the failing notice twice (refused, then taken, same key) and the recovered once", got)
	}
}
