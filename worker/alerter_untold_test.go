package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/task"
	"github.com/cronflow/cronflow/worker/workertest"
)

// TestChannelsAddedToAFailingJobAreToldAtOnce fails a job that has no channels, then adds a
// webhook channel through the store, as the API, the form and an import do: the channel gets the
// failing notice at once, published by the change itself (no Reaper runs here), without any
// further run; saving the job again tells nobody twice, and its next failure neither.
func TestChannelsAddedToAFailingJobAreToldAtOnce(t *testing.T) {
	t.Parallel()
	h := setup(t, 2)
	h.stopConsumer()
	h.alerts = NewAlerter(h.pool, h.q, h.out, h.logger)
	h.startConsumer(2)
	sender := notify.NewSender(task.NewExecutor(task.NewHTTPClient(2, true), task.MailConfig{}), "https://cron.example.com/", 5*time.Second)
	startNoticeConsumer(t, h, NewNotifier(h.q, sender, h.pub, h.logger))
	hook := newHookReceiver(t, nil)
	ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops hook", Type: "webhook",
		Config: json.RawMessage(fmt.Sprintf(`{"url": %q}`, hook.URL))})
	if err != nil {
		t.Fatal(err)
	}
	tg := newRecordingTarget(t, func(string, int) int { return 502 })
	job := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	h.waitStatus(h.runNow(job.ID).ID, "permanently_failed", 20*time.Second)
	h.waitStatus(h.runNow(job.ID).ID, "permanently_failed", 20*time.Second)

	st := store.New(h.pool, "", nil)
	st.Notices = h.out
	update := func() {
		t.Helper()
		spec, problems := store.JobInput{Name: job.Name, Type: job.Type, Cron: "@yearly", Timezone: "UTC",
			Payload: job.Payload, MaxRetries: json.RawMessage("0"),
			Alerts: json.RawMessage(fmt.Sprintf(`{"channels": [%d], "after": 1}`, ch.ID))}.Valid(time.Now())
		if len(problems) > 0 {
			t.Fatalf("problems: %v", problems)
		}
		if _, err := st.UpdateJob(context.Background(), "test", job.ID, spec); err != nil {
			t.Fatal(err)
		}
	}
	update()
	workertest.WaitFor(t, 20*time.Second, "the added channel is told", func() bool { return hook.delivered()[notify.Failing] == 1 })
	if runs := h.runsOf(job.ID); len(runs) != 2 {
		t.Errorf("%d runs; the notice came with no further run", len(runs))
	}
	update()
	h.waitStatus(h.runNow(job.ID).ID, "permanently_failed", 20*time.Second)
	notices, err := h.q.NoticeListByJob(context.Background(), &job.ID)
	if err != nil || len(notices) != 1 || notices[0].Event != notify.Failing || notices[0].ChannelID != ch.ID {
		t.Errorf("notices after saving again and failing again: %+v, %v; want the one failing notice", notices, err)
	}
}
