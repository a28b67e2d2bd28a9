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

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		was    alertState
		after  int32
		failed bool
		now    alertState
		event  string
	}{
		"FailureBelowThresholdCounts":     {alertState{}, 3, true, alertState{failures: 1}, ""},
		"FailureReachingThresholdAlerts":  {alertState{failures: 2}, 3, true, alertState{failures: 3, failing: true, episode: 1}, notify.Failing},
		"AfterOneAlertsAtTheFirstFailure": {alertState{episode: 4}, 1, true, alertState{failures: 1, failing: true, episode: 5}, notify.Failing},
		"FailureWhileFailingIsQuiet":      {alertState{failures: 3, failing: true, episode: 1}, 3, true, alertState{failures: 4, failing: true, episode: 1}, ""},
		"CompletionWhileFailingRecovers":  {alertState{failures: 4, failing: true, episode: 1}, 3, false, alertState{episode: 1}, notify.Recovered},
		"CompletionBelowThresholdResets":  {alertState{failures: 2, episode: 1}, 3, false, alertState{episode: 1}, ""},
		"LoweredThresholdAlertsAtOnce":    {alertState{failures: 5}, 2, true, alertState{failures: 6, failing: true, episode: 1}, notify.Failing},
	} {
		t.Run(name, func(t *testing.T) {
			now, event := decide(tc.was, alertRules{after: tc.after}, tc.failed, time.Now())
			now.lastNotice, now.lastRecovered = time.Time{}, time.Time{} // the rules' clock: TestDecideRules
			if now != tc.now || event != tc.event {
				t.Errorf("decide(%+v, %d, %v) = %+v, %q; want %+v, %q", tc.was, tc.after, tc.failed, now, event, tc.now, tc.event)
			}
		})
	}
}

func TestAttemptHistory(t *testing.T) {
	t.Parallel()
	t.Run("ARunRetriedTwiceKeepsThreeAttempts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, 2)
		tg := newRecordingTarget(t, func(_ string, n int) int {
			if n <= 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, maxRetries: 2, retryDelay: time.Second})
		run := h.runNow(job.ID)
		h.waitStatus(run.ID, "completed", 30*time.Second)
		attempts, err := h.q.RunAttemptList(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"failed", "failed", "completed"}
		if len(attempts) != len(want) {
			t.Fatalf("attempts = %+v, want %v", attempts, want)
		}
		for i, a := range attempts {
			if a.Attempt != int32(i+1) || a.Outcome != want[i] || a.FinishedAt.Before(a.StartedAt) {
				t.Errorf("attempt %d = %+v, want number %d, outcome %s", i, a, i+1, want[i])
			}
		}
		if attempts[0].Error != "HTTP 503 Service Unavailable, expected 2xx" || attempts[2].Error != "" || attempts[2].Output == "" {
			t.Errorf("errors and output not kept per attempt: %+v", attempts)
		}
	})
	t.Run("APermanentlyFailedRunRetriedByHandCompletes", func(t *testing.T) {
		t.Parallel()
		h := setup(t, 2)
		tg := newRecordingTarget(t, func(_ string, n int) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
		run := h.runNow(job.ID)
		h.waitStatus(run.ID, "permanently_failed", 20*time.Second)
		retried, err := h.q.RunRetry(context.Background(), run.ID)
		if err != nil || retried.Status != "queued" {
			t.Fatalf("retry: %v, %+v", err, retried)
		}
		h.out.Publish(context.Background(), []runmsg.Message{{RunID: run.ID, JobID: job.ID}})
		done := h.waitStatus(run.ID, "completed", 20*time.Second)
		attempts, err := h.q.RunAttemptList(context.Background(), run.ID)
		if err != nil || done.Attempts != 2 || len(attempts) != 2 || attempts[0].Outcome != "permanently_failed" || attempts[1].Outcome != "completed" {
			t.Fatalf("after the retry: run %+v, attempts %+v, %v", done, attempts, err)
		}
		if hits := tg.hitsFor(idempotencyKey(job.ID, run.ID)); len(hits) != 2 {
			t.Errorf("the target saw %d requests, want 2 with the run's key", len(hits))
		}
	})
}

// hookReceiver is a webhook channel's far end: it records every notice it gets, answering with
// what status says (nil means 200).
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []receivedNotice
	status func(n int) int
}

type receivedNotice struct {
	Key   string
	Code  int
	Event notify.Event
}

func newHookReceiver(t *testing.T, status func(n int) int) *hookReceiver {
	r := &hookReceiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var e notify.Event
		_ = json.Unmarshal(body, &e)
		r.mu.Lock()
		code := http.StatusOK
		if r.status != nil {
			code = r.status(len(r.got) + 1)
		}
		r.got = append(r.got, receivedNotice{Key: req.Header.Get("Idempotency-Key"), Code: code, Event: e})
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

// delivered counts the notices of each event answered with 200.
func (r *hookReceiver) delivered() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, n := range r.got {
		if n.Code == http.StatusOK {
			out[n.Event.Event]++
		}
	}
	return out
}

func TestAlerts(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	h.stopConsumer()
	h.alerts = NewAlerter(h.pool, h.q, h.out, h.logger)
	h.startConsumer(2)
	sender := notify.NewSender(task.NewExecutor(task.NewHTTPClient(2, true), task.MailConfig{}), "https://cron.example.com/", 5*time.Second)
	notifier := NewNotifier(h.q, sender, h.pub, h.logger)
	notifier.RetryDelays = []time.Duration{time.Second}
	startNoticeConsumer(t, h, notifier)

	// The receiver refuses the first notice once, so that it is retried through the broker.
	hook := newHookReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops hook", Type: "webhook",
		Config: json.RawMessage(fmt.Sprintf(`{"url": %q}`, hook.URL))})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	failing := true
	tg := newRecordingTarget(t, func(string, int) int {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	after := int32(3)
	if _, err := h.q.JobUpdate(context.Background(), sqlcgen.JobUpdateParams{Catchup: schedule.CatchupLatest, ID: job.ID, Name: job.Name, Type: job.Type,
		Payload: job.Payload, Cron: job.Cron, Timezone: job.Timezone, MaxRetries: 0, RetryDelayMs: job.RetryDelayMs,
		TimeoutMs: job.TimeoutMs, NextRunAt: job.NextRunAt, AlertChannels: []int64{ch.ID}, AlertAfter: pgInt4(after)}); err != nil {
		t.Fatal(err)
	}
	settle := func(status string) sqlcgen.Run {
		t.Helper()
		return h.waitStatus(h.runNow(job.ID).ID, status, 20*time.Second)
	}
	notices := func() []sqlcgen.NoticeListByJobRow {
		n, err := h.q.NoticeListByJob(context.Background(), &job.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	for i := range after - 1 {
		settle("permanently_failed")
		if n := notices(); len(n) != 0 {
			t.Fatalf("after %d failures (alerting after %d) there are notices: %+v", i+1, after, n)
		}
	}
	third := settle("permanently_failed")
	workertest.WaitFor(t, 20*time.Second, "the failing notice is delivered after its retry", func() bool {
		return hook.delivered()[notify.Failing] == 1
	})
	for range 2 {
		settle("permanently_failed")
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	recovering := settle("completed")
	workertest.WaitFor(t, 20*time.Second, "the recovered notice", func() bool { return hook.delivered()[notify.Recovered] == 1 })
	settle("completed")

	got := notices()
	if len(got) != 2 || got[0].Event != notify.Failing || got[1].Event != notify.Recovered ||
		*got[0].RunID != third.ID || *got[1].RunID != recovering.ID || got[0].Attempts != 2 || got[0].ConsecutiveFailures != after {
		t.Fatalf("notices = %+v, want one failing (run %d, 2 attempts, %d failures) and one recovered (run %d)", got, third.ID, after, recovering.ID)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	first := hook.got[0]
	if first.Event.Job == nil || first.Event.Job.URL != fmt.Sprintf("https://cron.example.com/jobs/%d", job.ID) ||
		first.Event.Run == nil || first.Event.Run.ID != third.ID || first.Event.Run.Status != "permanently_failed" ||
		first.Event.Run.Error != "HTTP 502 Bad Gateway, expected 2xx" || first.Event.ConsecutiveFailures != after {
		t.Errorf("failing notice body = %+v", first.Event)
	}
	if hook.got[1].Key != first.Key || first.Key == "" {
		t.Errorf("a notice's retry carried key %q, its first attempt %q: they must be the same", hook.got[1].Key, first.Key)
	}
	if len(hook.got) != 3 {
		t.Errorf("the receiver got %d requests, want 3 (failing twice, recovered once)", len(hook.got))
	}
}

// startNoticeConsumer consumes the harness's notice queue with notifier until the test ends.
func startNoticeConsumer(t *testing.T, h *harness, notifier *Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	c := NewNoticeConsumer([]string{amqpURL()}, h.top, 2, 5*time.Second, notifier.Handle, h.logger)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	workertest.WaitFor(t, 10*time.Second, "notice consumer connects", c.Connected)
}

func pgInt4(n int32) pgtype.Int4 { return pgtype.Int4{Int32: n, Valid: true} }
