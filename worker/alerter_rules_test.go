package worker

import (
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/notify"
)

// step is one settled run in a decide sequence: when it settled, whether it failed, and the
// notice it must make ("" none, "reminder" a failing notice with reminders counted up).
type step struct {
	at     time.Duration
	failed bool
	want   string
}

// runSteps feeds decide a job's runs in order and checks the notice of each.
func runSteps(t *testing.T, r alertRules, steps []step) alertState {
	t.Helper()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var s alertState
	for i, st := range steps {
		before := s
		var event string
		s, event = decide(s, r, st.failed, start.Add(st.at))
		got := event
		if event == notify.Failing && s.reminders > 0 && before.failing {
			got = "reminder"
		}
		if got != st.want {
			t.Fatalf("run %d (at %s, failed %v): notice %q, want %q (state %+v)", i, st.at, st.failed, got, st.want, s)
		}
	}
	return s
}

func TestDecideRules(t *testing.T) {
	t.Parallel()
	const f, c = true, false
	t.Run("RepeatRemindsAtTheFirstFailureAfterTheInterval", func(t *testing.T) {
		t.Parallel()
		s := runSteps(t, alertRules{after: 1, repeat: time.Hour}, []step{
			{0, f, notify.Failing}, {30 * time.Minute, f, ""}, {59 * time.Minute, f, ""},
			{61 * time.Minute, f, "reminder"}, {90 * time.Minute, f, ""}, {3 * time.Hour, f, "reminder"},
			{4 * time.Hour, c, notify.Recovered},
		})
		if s.failing || s.reminders != 0 || s.episode != 1 {
			t.Errorf("after recovering: %+v", s)
		}
	})
	t.Run("NoRepeatIsQuietWhileFailing", func(t *testing.T) {
		t.Parallel()
		runSteps(t, alertRules{after: 2}, []step{{0, f, ""}, {time.Minute, f, notify.Failing}, {48 * time.Hour, f, ""}})
	})
	t.Run("FlappingWithinTheWindowSendsOnePair", func(t *testing.T) {
		t.Parallel()
		s := runSteps(t, alertRules{after: 1, flapWindow: time.Hour}, []step{
			{0, f, notify.Failing}, {10 * time.Minute, c, notify.Recovered},
			{20 * time.Minute, f, ""}, {30 * time.Minute, c, ""}, {40 * time.Minute, f, ""}, {50 * time.Minute, c, ""},
			{60 * time.Minute, f, ""},
		})
		if !s.held || s.failing || s.episode != 1 {
			t.Errorf("a failure held by the window: %+v", s)
		}
	})
	t.Run("HeldFailureIsToldOnceTheWindowHasPassed", func(t *testing.T) {
		t.Parallel()
		s := runSteps(t, alertRules{after: 1, flapWindow: time.Hour}, []step{
			{0, f, notify.Failing}, {10 * time.Minute, c, notify.Recovered},
			{20 * time.Minute, f, ""}, {71 * time.Minute, f, notify.Failing}, {80 * time.Minute, c, notify.Recovered},
		})
		if s.episode != 2 || s.held {
			t.Errorf("after the second pair: %+v", s)
		}
	})
	t.Run("WindowCountsFromTheRecoveredNotice", func(t *testing.T) {
		t.Parallel()
		runSteps(t, alertRules{after: 1, flapWindow: time.Hour}, []step{
			{0, f, notify.Failing}, {5 * time.Hour, c, notify.Recovered}, {5*time.Hour + 30*time.Minute, f, ""},
			{6*time.Hour + time.Minute, f, notify.Failing},
		})
	})
	t.Run("ThresholdStillAppliesAfterTheWindow", func(t *testing.T) {
		t.Parallel()
		runSteps(t, alertRules{after: 3, flapWindow: time.Minute}, []step{
			{0, f, ""}, {time.Hour, f, ""}, {2 * time.Hour, f, notify.Failing}, {3 * time.Hour, c, notify.Recovered},
			{4 * time.Hour, f, ""}, {5 * time.Hour, f, ""}, {6 * time.Hour, f, notify.Failing},
		})
	})
}
