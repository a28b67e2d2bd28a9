package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

// TestChannelsAddedToAFailingJobGetItsNoticeOnce fails a job that has no channels, then adds a
// webhook channel and later a PagerDuty channel while it keeps failing: each gets the failing
// notice once, with the job's next failure, and the recovery resolves the one PagerDuty incident.
func TestChannelsAddedToAFailingJobGetItsNoticeOnce(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	h.stopConsumer()
	h.alerts = NewAlerter(h.pool, h.q, h.out, h.logger)
	h.startConsumer(2)
	sender := notify.NewSender(task.NewExecutor(task.NewHTTPClient(2, true), task.MailConfig{}), "https://cron.example.com/", 5*time.Second)
	startNoticeConsumer(t, h, NewNotifier(h.q, sender, h.pub, h.logger))

	hook := newHookReceiver(t, nil)
	var mu sync.Mutex
	var paged []map[string]any
	pd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		mu.Lock()
		paged = append(paged, body)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(pd.Close)
	channel := func(name, typ, config string) int64 {
		ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: name, Type: typ, Config: json.RawMessage(config)})
		if err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	hookID := channel("ops hook", "webhook", fmt.Sprintf(`{"url": %q}`, hook.URL))
	pdID := channel("pager", "pagerduty", fmt.Sprintf(`{"routing_key": "rk", "api_url": %q}`, pd.URL))

	var failing sync.Mutex
	broken := true
	tg := newRecordingTarget(t, func(string, int) int {
		failing.Lock()
		defer failing.Unlock()
		if broken {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	setChannels := func(ids ...int64) {
		t.Helper()
		if _, err := h.q.JobUpdate(context.Background(), sqlcgen.JobUpdateParams{Catchup: schedule.CatchupLatest, ID: job.ID, Name: job.Name,
			Type: job.Type, Payload: job.Payload, Cron: job.Cron, Timezone: job.Timezone, RetryDelayMs: job.RetryDelayMs,
			TimeoutMs: job.TimeoutMs, NextRunAt: job.NextRunAt, AlertChannels: ids, AlertAfter: pgInt4(1)}); err != nil {
			t.Fatal(err)
		}
	}
	settle := func(status string) { t.Helper(); h.waitStatus(h.runNow(job.ID).ID, status, 20*time.Second) }
	// count is the notices made so far, by channel and event; they are made with the run's result.
	count := func() map[string]int {
		t.Helper()
		n, err := h.q.NoticeListByJob(context.Background(), &job.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, x := range n {
			out[fmt.Sprintf("%d %s", x.ChannelID, x.Event)]++
		}
		return out
	}
	want := func(step string, w map[string]int) {
		t.Helper()
		if got := count(); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("%s: notices %v, want %v", step, got, w)
		}
	}
	failingKey := func(id int64) string { return fmt.Sprintf("%d %s", id, notify.Failing) }
	recoveredKey := func(id int64) string { return fmt.Sprintf("%d %s", id, notify.Recovered) }

	settle("permanently_failed")
	settle("permanently_failed")
	want("failing without channels", map[string]int{})
	setChannels(hookID)
	settle("permanently_failed")
	want("a channel added while failing", map[string]int{failingKey(hookID): 1})
	settle("permanently_failed")
	want("failing on", map[string]int{failingKey(hookID): 1})
	setChannels(hookID, pdID)
	settle("permanently_failed")
	settle("permanently_failed")
	want("a second channel added", map[string]int{failingKey(hookID): 1, failingKey(pdID): 1})
	failing.Lock()
	broken = false
	failing.Unlock()
	settle("completed")
	want("recovered", map[string]int{failingKey(hookID): 1, failingKey(pdID): 1, recoveredKey(hookID): 1, recoveredKey(pdID): 1})

	workertest.WaitFor(t, 20*time.Second, "every notice is delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		d := hook.delivered()
		return len(paged) == 2 && d[notify.Failing] == 1 && d[notify.Recovered] == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if paged[0]["event_action"] != "trigger" || paged[1]["event_action"] != "resolve" || paged[0]["dedup_key"] != paged[1]["dedup_key"] ||
		paged[0]["dedup_key"] != fmt.Sprintf("cronflow-job-%d-episode-1", job.ID) {
		t.Errorf("PagerDuty got %v then %v; want a trigger and a resolve of the episode's dedup_key", paged[0], paged[1])
	}
}
