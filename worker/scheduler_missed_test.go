package worker

import (
	"context"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestAMissedSlotIsToldToAJobsChannelsWhenItsAlertsAskForIt(t *testing.T) {
	t.Parallel()
	h := setup(t, 1)
	tg := newRecordingTarget(t, nil)
	ch, err := h.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops", Type: "webhook",
		Config: []byte(`{"url": "http://127.0.0.1:9/hook"}`)})
	if err != nil {
		t.Fatal(err)
	}
	// As if the scheduler had been down for the last three slots of two jobs every 10 minutes,
	// whose catchup policy runs none of them late.
	first := time.Now().Truncate(10 * time.Minute).Add(-20 * time.Minute) // three slots up to the latest
	told := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "*/10 * * * *", catchup: schedule.CatchupNone})
	told = h.setJob(told, func(p *sqlcgen.JobUpdateParams) {
		p.NextRunAt, p.AlertChannels, p.AlertOn = &first, []int64{ch.ID}, []string{"failing", "missed"}
	})
	quiet := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}, cron: "*/10 * * * *", catchup: schedule.CatchupNone})
	quiet = h.setJob(quiet, func(p *sqlcgen.JobUpdateParams) { p.NextRunAt, p.AlertChannels = &first, []int64{ch.ID} })
	h.startScheduler(time.Hour)

	var missed []sqlcgen.Run
	workertest.WaitFor(t, 15*time.Second, "the missed slots recorded", func() bool {
		missed = h.runsOf(told.ID)
		return len(missed) == 3 && len(h.runsOf(quiet.ID)) == 3
	})
	notices, err := h.q.NoticeListByJob(context.Background(), &told.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Made in the transaction that recorded the runs: one per missed run, none twice.
	byRun := map[int64]int{}
	for _, n := range notices {
		if n.Event != "job.missed" || n.RunID == nil || n.ChannelID != ch.ID {
			t.Errorf("notice %+v", n)
			continue
		}
		byRun[*n.RunID]++
	}
	for _, r := range missed {
		if r.Status != "missed" || byRun[r.ID] != 1 {
			t.Errorf("run %d (%s, %s): %d notices, want one", r.ID, r.Status, r.ScheduledAt.Format(time.TimeOnly), byRun[r.ID])
		}
	}
	if len(notices) != len(missed) {
		t.Errorf("%d notices for %d missed runs", len(notices), len(missed))
	}
	// A job whose alerts do not name "missed" (the default) tells nobody.
	if quietNotices, err := h.q.NoticeListByJob(context.Background(), &quiet.ID); err != nil || len(quietNotices) != 0 {
		t.Errorf("quiet job's notices: %+v, %v", quietNotices, err)
	}
}
