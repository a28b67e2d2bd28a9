package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestCatchupPlans(t *testing.T) {
	t.Parallel()
	everySecond, err := Parse("* * * * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	type want struct {
		run         []time.Time
		missed      int
		missedTotal int
		firstWhy    string
	}
	for name, tc := range map[string]struct {
		policy Catchup
		until  time.Time
		window time.Duration
		want   want
	}{
		"LatestRunsTheNewestAndRecordsTheRest": {CatchupLatest, sec(9), time.Hour, want{[]time.Time{sec(9)}, 9, 9, "catchup latest"}},
		"AllRunsEverySlot":                     {CatchupAll, sec(9), time.Hour, want{[]time.Time{sec(0), sec(1), sec(2), sec(3), sec(4), sec(5), sec(6), sec(7), sec(8), sec(9)}, 0, 0, ""}},
		"NoneRunsNothing":                      {CatchupNone, sec(9), time.Hour, want{nil, 10, 10, "catchup none"}},
		"SlotsOlderThanTheWindowAreMissed":     {CatchupAll, sec(9), 5 * time.Second, want{[]time.Time{sec(4), sec(5), sec(6), sec(7), sec(8), sec(9)}, 4, 4, "CATCHUP_WINDOW=5s"}},
		"AZeroWindowRunsNothing":               {CatchupLatest, sec(9), 0, want{nil, 10, 10, "catching up is off"}},
		"AllRunsAtMostAHundred":                {CatchupAll, sec(299), time.Hour, want{nil, MaxMissedRecorded, 200, "more than 100"}},
		"LatestAfterAMonthStaysBounded":        {CatchupLatest, t0.Add(30 * 24 * time.Hour), time.Hour, want{[]time.Time{t0.Add(30 * 24 * time.Hour)}, MaxMissedRecorded, 0, "catchup latest"}},
	} {
		t.Run(name, func(t *testing.T) {
			p := tc.policy.Plan(everySecond, t0, tc.until, tc.window)
			if tc.want.run != nil && !equalTimes(p.Run, tc.want.run) {
				t.Errorf("run = %v, want %v", p.Run, tc.want.run)
			}
			if name == "AllRunsAtMostAHundred" && (len(p.Run) != MaxCatchupRuns || !p.Run[0].Equal(sec(200)) || !p.Run[99].Equal(sec(299))) {
				t.Errorf("run %d slots from %v to %v, want the newest %d, oldest first", len(p.Run), p.Run[0], p.Run[len(p.Run)-1], MaxCatchupRuns)
			}
			if tc.want.run == nil && name != "AllRunsAtMostAHundred" && len(p.Run) != 0 {
				t.Errorf("run = %v, want none", p.Run)
			}
			if len(p.Missed) != tc.want.missed {
				t.Errorf("%d missed recorded, want %d", len(p.Missed), tc.want.missed)
			}
			if tc.want.missedTotal > 0 && p.MissedTotal != tc.want.missedTotal {
				t.Errorf("missed total = %d, want %d", p.MissedTotal, tc.want.missedTotal)
			}
			if p.MissedTotal < len(p.Missed) {
				t.Errorf("missed total %d is below the %d recorded", p.MissedTotal, len(p.Missed))
			}
			for i := 1; i < len(p.Missed); i++ {
				if !p.Missed[i].At.After(p.Missed[i-1].At) {
					t.Fatalf("missed slots not oldest first: %v then %v", p.Missed[i-1].At, p.Missed[i].At)
				}
			}
			if tc.want.firstWhy != "" && !strings.Contains(p.Missed[0].Reason, tc.want.firstWhy) {
				t.Errorf("reason %q, want it to say %q", p.Missed[0].Reason, tc.want.firstWhy)
			}
			if !p.Next.Equal(tc.until.Add(time.Second)) {
				t.Errorf("next = %v, want the slot after %v", p.Next, tc.until)
			}
		})
	}
	t.Run("LatestRecordsTheNewestMissedWithTheirReasons", func(t *testing.T) {
		p := CatchupLatest.Plan(everySecond, t0, sec(9), 5*time.Second)
		if !strings.Contains(p.Missed[3].Reason, "CATCHUP_WINDOW") || !strings.Contains(p.Missed[4].Reason, "catchup latest") {
			t.Errorf("reasons %q and %q: the slot 5 s old is past the window, the one 4 s old is superseded", p.Missed[3].Reason, p.Missed[4].Reason)
		}
	})
}

func TestCatchupPoliciesAreNamedOnce(t *testing.T) {
	t.Parallel()
	if c, ok := ParseCatchup(""); !ok || c != CatchupLatest {
		t.Errorf("the empty policy = %q, %v; want latest", c, ok)
	}
	if _, ok := ParseCatchup("sometimes"); ok {
		t.Error("an unknown policy was accepted")
	}
	for _, c := range Catchups() {
		if got, ok := ParseCatchup(string(c)); !ok || got != c || c.Label() == "" || c.Help() == "" {
			t.Errorf("policy %q: parsed %q, %v; label %q; help %q", c, got, ok, c.Label(), c.Help())
		}
	}
}

func equalTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
