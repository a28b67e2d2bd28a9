package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

// testClock is the alerter's clock in these tests: the real time moved on by what the test adds,
// so that an hour's reminder interval passes at once.
type testClock struct{ ahead atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.ahead.Load())) }
func (c *testClock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

// rulesRig is a job alerting a loopback webhook channel through the whole pipeline (runner,
// alerter, outbox, notifier), with a target whose answer the test switches and a clock it moves.
type rulesRig struct {
	h     *harness
	hook  *hookReceiver
	clock *testClock
	job   sqlcgen.Job
	mu    sync.Mutex
	fail  bool
}

func newRulesRig(t *testing.T, repeat, flapWindow time.Duration) *rulesRig {
	r := &rulesRig{h: setup(t, 2), clock: &testClock{}, fail: true}
	h := r.h
	h.stopConsumer()
	h.alerts = NewAlerter(h.pool, h.q, h.out, h.logger)
	h.alerts.now = r.clock.now
	h.startConsumer(2)
	sender := notify.NewSender(task.NewExecutor(task.NewHTTPClient(2, true), task.MailConfig{}), "https://cron.example.com/", 5*time.Second)
	startNoticeConsumer(t, h, NewNotifier(h.q, sender, h.pub, h.logger))
	r.hook = newHookReceiver(t, nil)
	ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops hook", Type: "webhook",
		Config: json.RawMessage(fmt.Sprintf(`{"url": %q}`, r.hook.URL))})
	if err != nil {
		t.Fatal(err)
	}
	tg := newRecordingTarget(t, func(string, int) int {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	repeatMs, flapMs := repeat.Milliseconds(), flapWindow.Milliseconds()
	r.job, err = h.q.JobUpdate(context.Background(), sqlcgen.JobUpdateParams{Catchup: schedule.CatchupLatest, ID: job.ID, Name: job.Name,
		Type: job.Type, Payload: job.Payload, Cron: job.Cron, Timezone: job.Timezone, MaxRetries: 0, RetryDelayMs: job.RetryDelayMs,
		TimeoutMs: job.TimeoutMs, NextRunAt: job.NextRunAt, AlertChannels: []int64{ch.ID}, AlertAfter: pgInt4(1),
		AlertRepeatMs: &repeatMs, AlertFlapWindowMs: &flapMs})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// settle runs the job once, failing or completing, after moving the clock on by d, and waits
// until the run is recorded: its notices are committed with it.
func (r *rulesRig) settle(d time.Duration, fail bool) {
	r.h.t.Helper()
	r.clock.advance(d)
	r.mu.Lock()
	r.fail = fail
	r.mu.Unlock()
	status := "completed"
	if fail {
		status = "permanently_failed"
	}
	r.h.waitStatus(r.h.runNow(r.job.ID).ID, status, 20*time.Second)
}

// notices are the job's notices, as "event/reminder", oldest first.
func (r *rulesRig) notices() []string {
	r.h.t.Helper()
	rows, err := r.h.q.NoticeListByJob(context.Background(), &r.job.ID)
	if err != nil {
		r.h.t.Fatal(err)
	}
	var out []string
	for _, n := range rows {
		out = append(out, fmt.Sprintf("%s/%d", n.Event, n.Reminder))
	}
	return out
}

// expect checks the job's notices.
func (r *rulesRig) expect(want ...string) {
	r.h.t.Helper()
	if got := r.notices(); fmt.Sprint(got) != fmt.Sprint(want) {
		r.h.t.Fatalf("notices = %v, want %v", got, want)
	}
}

func TestAlertRules(t *testing.T) {
	t.Parallel()
	t.Run("RepeatSendsAReminderAfterTheInterval", func(t *testing.T) {
		t.Parallel()
		r := newRulesRig(t, time.Hour, 0)
		r.settle(0, true)
		r.expect("job.failing/0")
		r.settle(30*time.Minute, true)
		r.settle(29*time.Minute, true)
		r.expect("job.failing/0") // 59 minutes: no reminder yet
		r.settle(2*time.Minute, true)
		r.expect("job.failing/0", "job.failing.reminder.1/1")
		r.settle(10*time.Minute, true)
		r.settle(0, false)
		r.expect("job.failing/0", "job.failing.reminder.1/1", "job.recovered/0")
		workertest.WaitFor(t, 20*time.Second, "three notices delivered", func() bool {
			d := r.hook.delivered()
			return d[notify.Failing] == 2 && d[notify.Recovered] == 1
		})
		r.hook.mu.Lock()
		defer r.hook.mu.Unlock()
		var reminder *notify.Event
		for i := range r.hook.got {
			if e := r.hook.got[i].Event; e.Reminder > 0 {
				reminder = &e
			}
		}
		if reminder == nil || reminder.Reminder != 1 || reminder.ConsecutiveFailures != 4 || reminder.Repeat != "1 hour" || reminder.Episode != 1 {
			t.Errorf("reminder body = %+v, want reminder 1 of episode 1 after 4 failures, repeat \"1 hour\"", reminder)
		}
	})
	t.Run("FlappingWithinTheWindowSendsOnePair", func(t *testing.T) {
		t.Parallel()
		r := newRulesRig(t, 0, time.Hour)
		r.settle(0, true)
		r.settle(5*time.Minute, false)
		for range 3 { // fails and recovers again and again within the hour
			r.settle(5*time.Minute, true)
			r.settle(5*time.Minute, false)
		}
		r.settle(5*time.Minute, true)
		r.expect("job.failing/0", "job.recovered/0")
		state, err := r.h.q.JobAlertStateGet(context.Background(), r.job.ID)
		if err != nil || !state.Held || state.Failing {
			t.Fatalf("state within the window = %+v, %v; want held, not failing", state, err)
		}
		// Once the window has passed, a job still failing is told once; its recovery follows.
		r.settle(time.Hour, true)
		r.settle(time.Minute, true)
		r.settle(time.Minute, false)
		r.expect("job.failing/0", "job.recovered/0", "job.failing/0", "job.recovered/0")
		workertest.WaitFor(t, 20*time.Second, "two pairs delivered", func() bool {
			d := r.hook.delivered()
			return d[notify.Failing] == 2 && d[notify.Recovered] == 2
		})
	})
}
