package worker

import (
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
)

// The rules that cut noise. A job's runs are counted as they settle, so a run that is retried
// counts once, when its last attempt has failed: "alert after N failed runs" already means "after
// N runs whose last retry failed", and no attempt alone ever alerts. On top of the threshold:
//
//   - repeat: while the job stays failing, its next failed run once repeat has passed since the
//     last failing notice makes a reminder, a failing notice numbered 1, 2, … of the same episode.
//     Nothing runs on a timer: a job that stops running sends no reminders.
//   - flap window: after a recovered notice, a job that reaches its threshold again within the
//     window is held: no failing notice is made, and since none was, no recovered notice follows
//     if it completes a run. Its first failed run after the window, if it is still failing, makes
//     the failing notice. So a window holds at most one failing/recovered pair.

// alertRules are a job's alerts as the alert step applies them.
type alertRules struct {
	after              int32
	repeat, flapWindow time.Duration
}

// rulesOf reads a job's rules from its locked alert state.
func rulesOf(row sqlcgen.JobAlertStateLockRow) alertRules {
	return alertRules{after: row.AlertAfter, repeat: time.Duration(row.AlertRepeatMs) * time.Millisecond,
		flapWindow: time.Duration(row.AlertFlapWindowMs) * time.Millisecond}
}

// alertState is where a job stands: failed runs in a row, whether it is failing (its failing
// notice went out), the episode, counted up each time it starts failing, the reminders of the
// episode, whether its failing notice is held back by the flap window, and when its last failing
// notice or reminder and its last recovered notice were made (zero: never).
type alertState struct {
	failures                  int32
	failing, held             bool
	episode                   int64
	reminders                 int32
	lastNotice, lastRecovered time.Time
}

// stateOf reads where a job stands from its locked alert state.
func stateOf(row sqlcgen.JobAlertStateLockRow) alertState {
	s := alertState{failures: row.ConsecutiveFailures, failing: row.Failing, held: row.Held, episode: row.Episode,
		reminders: row.Reminders}
	if row.LastNoticeAt != nil {
		s.lastNotice = *row.LastNoticeAt
	}
	if row.LastRecoveredAt != nil {
		s.lastRecovered = *row.LastRecoveredAt
	}
	return s
}

// setParams is the state as JobAlertStateSet stores it.
func (s alertState) setParams(jobID int64) sqlcgen.JobAlertStateSetParams {
	return sqlcgen.JobAlertStateSetParams{JobID: jobID, ConsecutiveFailures: s.failures, Failing: s.failing,
		Episode: s.episode, Reminders: s.reminders, Held: s.held,
		LastNoticeAt: timeOrNil(s.lastNotice), LastRecoveredAt: timeOrNil(s.lastRecovered)}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// decide moves a job's alert state on by one run settled at at, and names the notice it calls
// for, if any: failing when the failures in a row reach the threshold (once per episode, unless
// the flap window holds it), failing again as a reminder once repeat has passed, and recovered
// when a job whose failing notice went out completes a run. A reminder is the failing event with
// the state's reminders counted up.
func decide(s alertState, r alertRules, failed bool, at time.Time) (alertState, string) {
	if !failed {
		next := alertState{episode: s.episode, lastNotice: s.lastNotice, lastRecovered: s.lastRecovered}
		if !s.failing {
			return next, "" // a held failing notice was never sent: there is nothing to recover from
		}
		next.lastRecovered = at
		return next, notify.Recovered
	}
	s.failures++
	switch {
	case s.failing:
		if r.repeat <= 0 || at.Before(s.lastNotice.Add(r.repeat)) {
			return s, ""
		}
		s.reminders++
		s.lastNotice = at
		return s, notify.Failing
	case s.failures < r.after:
		return s, ""
	case r.flapWindow > 0 && !s.lastRecovered.IsZero() && at.Before(s.lastRecovered.Add(r.flapWindow)):
		s.held = true
		return s, ""
	}
	s.failing, s.held, s.reminders, s.lastNotice = true, false, 0, at
	s.episode++
	return s, notify.Failing
}
