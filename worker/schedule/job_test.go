package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestHTokens(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// A second before the hour, so that a slot on the hour is the first.
	from = from.Add(-time.Second)
	slots := func(t *testing.T, spec string, id int64, n int) []time.Time {
		t.Helper()
		s, err := Job{ID: id, Cron: spec, Timezone: "UTC"}.Schedule()
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		return NextRuns(s, from, n)
	}

	t.Run("AJobGetsTheSameSlotsEveryTime", func(t *testing.T) {
		t.Parallel()
		a, b := slots(t, "H H * * *", 42, 3), slots(t, "H H * * *", 42, 3)
		for i := range a {
			if !a[i].Equal(b[i]) {
				t.Fatalf("two parses of job 42 gave %v and %v", a, b)
			}
		}
	})

	t.Run("JobsAreSpreadOverTheHour", func(t *testing.T) {
		t.Parallel()
		minutes := map[int]bool{}
		for id := int64(1); id <= 100; id++ {
			minutes[slots(t, "H 0 * * *", id, 1)[0].Minute()] = true
		}
		if len(minutes) < 30 {
			t.Errorf("100 jobs at H 0 * * * share %d minutes, want them spread", len(minutes))
		}
	})

	t.Run("EachFormStaysInItsRange", func(t *testing.T) {
		t.Parallel()
		for id := int64(1); id <= 50; id++ {
			for _, s := range slots(t, "H(0-29) 3 * * *", id, 2) {
				if s.Minute() > 29 || s.Hour() != 3 {
					t.Fatalf("H(0-29) gave %s", s)
				}
			}
			got := slots(t, "H/15 * * * *", id, 4)
			for i, s := range got {
				if s.Minute()%15 != got[0].Minute()%15 || (i > 0 && s.Sub(got[i-1]) != 15*time.Minute) {
					t.Fatalf("H/15 gave %v", got)
				}
			}
			got = slots(t, "H(0-29)/10 * * * *", id, 3)
			if got[0].Minute() > 9 || got[1].Minute() != got[0].Minute()+10 || got[2].Minute() != got[0].Minute()+20 {
				t.Fatalf("H(0-29)/10 gave %v", got)
			}
			if d := slots(t, "0 0 H * *", id, 1)[0].Day(); d > 28 {
				t.Fatalf("H in the day of the month gave day %d, which some months lack", d)
			}
		}
	})

	t.Run("InvalidTokensSayWhatIsWrong", func(t *testing.T) {
		t.Parallel()
		for spec, want := range map[string]string{
			"H(0-70) * * * *":  "minutes go from 0 to 59",
			"H(30-10) * * * *": "from low to high",
			"H/0 * * * *":      "a step",
			"0 H/30 * * *":     "a step follows a slash and goes from 1 to 24",
			"H5 * * * *":       "a step follows a slash",
			"H(5) * * * *":     "a range is written in brackets",
		} {
			_, err := Parse(spec, "UTC")
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "H token") {
				t.Errorf("Parse(%q) = %v, want an error saying %q", spec, err, want)
			}
		}
	})
}

func TestJitterAndWindow(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

	t.Run("TheOffsetIsStableAndBelowTheJitter", func(t *testing.T) {
		t.Parallel()
		seen := map[time.Duration]bool{}
		for id := int64(1); id <= 200; id++ {
			off := JitterOffset(id, 30*time.Second)
			if off < 0 || off >= 30*time.Second || off%time.Second != 0 || off != JitterOffset(id, 30*time.Second) {
				t.Fatalf("job %d: offset %s", id, off)
			}
			seen[off] = true
		}
		if len(seen) < 20 {
			t.Errorf("200 jobs share %d offsets in 30s", len(seen))
		}
		if JitterOffset(7, 0) != 0 {
			t.Error("no jitter gave an offset")
		}
	})

	t.Run("EverySlotMovesByTheOffset", func(t *testing.T) {
		t.Parallel()
		s, err := Job{ID: 9, Cron: "0 * * * *", Jitter: time.Hour}.Schedule()
		if err != nil {
			t.Fatal(err)
		}
		off := JitterOffset(9, time.Hour)
		got := NextRuns(s, from, 3)
		for i, g := range got {
			if want := from.Add(time.Duration(i)*time.Hour + off); !g.Equal(want) && !g.Equal(want.Add(time.Hour)) {
				t.Fatalf("slots %v, offset %s", got, off)
			}
			if i > 0 && g.Sub(got[i-1]) != time.Hour {
				t.Fatalf("slots %v are not an hour apart", got)
			}
		}
	})

	t.Run("NoSlotBeforeTheStartOrAfterTheEnd", func(t *testing.T) {
		t.Parallel()
		start, end := from.Add(2*time.Hour), from.Add(4*time.Hour)
		s, err := Job{Cron: "0 * * * *", StartAt: start, EndAt: end}.Schedule()
		if err != nil {
			t.Fatal(err)
		}
		got := NextRuns(s, from, 5)
		if len(got) != 3 || !got[0].Equal(start) || !got[2].Equal(end) {
			t.Fatalf("slots = %v, want 02:00, 03:00 and 04:00 only", got)
		}
	})

	t.Run("TooMuchJitterIsRefused", func(t *testing.T) {
		t.Parallel()
		if _, err := (Job{Cron: "* * * * *", Jitter: 2 * time.Hour}).Schedule(); err == nil {
			t.Error("a jitter of 2h was accepted")
		}
	})
}
