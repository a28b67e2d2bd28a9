package schedule

import (
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 28, 10, 15, 7, 0, time.UTC)
	tests := []struct {
		name, spec, tz string
		want           []time.Time
	}{
		{"FiveFieldsRunAtTheMinute", "30 2 * * *", "UTC", []time.Time{
			time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC), time.Date(2026, 3, 30, 2, 30, 0, 0, time.UTC)}},
		{"SixFieldsTakeSeconds", "*/20 * * * * *", "UTC", []time.Time{
			time.Date(2026, 3, 28, 10, 15, 20, 0, time.UTC), time.Date(2026, 3, 28, 10, 15, 40, 0, time.UTC)}},
		{"DescriptorsWork", "@hourly", "UTC", []time.Time{
			time.Date(2026, 3, 28, 11, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)}},
		{"EveryIsAlignedToTheEpoch", "@every 30s", "UTC", []time.Time{
			time.Date(2026, 3, 28, 10, 15, 30, 0, time.UTC), time.Date(2026, 3, 28, 10, 16, 0, 0, time.UTC)}},
		{"TimeZoneIsHonoured", "0 9 * * *", "America/New_York", []time.Time{
			time.Date(2026, 3, 28, 13, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 13, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tt.spec, tt.tz)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.spec, tt.tz, err)
			}
			got := NextRuns(s, base, len(tt.want))
			for i := range tt.want {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("run %d = %s, want %s", i, got[i].UTC(), tt.want[i])
				}
			}
		})
	}
}

func TestParseScheduleRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, spec, tz string }{
		{"EmptyExpression", " ", "UTC"},
		{"TooFewFields", "* * *", "UTC"},
		{"MinuteOutOfRange", "60 * * * *", "UTC"},
		{"HourOutOfRange", "0 24 * * *", "UTC"},
		{"UnknownDescriptor", "@fortnightly", "UTC"},
		{"SubSecondEvery", "@every 500ms", "UTC"},
		{"TimeZoneInsideTheExpression", "CRON_TZ=UTC 0 * * * *", "UTC"},
		{"UnknownTimeZone", "0 * * * *", "Mars/Olympus"},
		{"LocalTimeZone", "0 * * * *", "Local"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse(tt.spec, tt.tz); err == nil {
				t.Fatalf("Parse(%q, %q) accepted it", tt.spec, tt.tz)
			}
		})
	}
}

func TestDaylightSavingTime(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, ny)
	}
	tests := []struct {
		name, spec string
		from       time.Time
		want       []time.Time
	}{
		{"ADailyRunInTheSkippedHourRunsAtTheChange", "30 2 * * *", at(3, 7, 12, 0), []time.Time{
			at(3, 8, 3, 0), at(3, 9, 2, 30), at(3, 10, 2, 30)}},
		{"ADailyRunInTheRepeatedHourRunsOnce", "30 1 * * *", at(10, 31, 12, 0), []time.Time{
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), at(11, 2, 1, 30)}},
		{"AnHourlyJobKeepsToRealTimeWhenTheClocksGoBack", "0 * * * *", at(11, 1, 0, 30), []time.Time{
			time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)}},
		{"AnHourlyJobSkipsNothingWhenTheClocksGoForward", "0 * * * *", at(3, 8, 0, 30), []time.Time{
			at(3, 8, 1, 0), at(3, 8, 3, 0), at(3, 8, 4, 0)}},
		{"ARunOutsideTheSkippedHourIsUntouched", "0 9 * * *", at(3, 7, 12, 0), []time.Time{
			at(3, 8, 9, 0), at(3, 9, 9, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tt.spec, "America/New_York")
			if err != nil {
				t.Fatal(err)
			}
			got := NextRuns(s, tt.from, len(tt.want))
			for i := range tt.want {
				if i >= len(got) || !got[i].Equal(tt.want[i]) {
					t.Fatalf("runs = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// A zone is loaded once and shared: 100,000 jobs in Europe/Berlin must not hold 100,000 copies of
// its history (the scheduler's memory at startup depends on it).
func TestLoadLocationSharesOneCopyOfAZone(t *testing.T) {
	a, err := LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LoadLocation("Europe/Berlin")
	if a != b {
		t.Error("two loads of Europe/Berlin gave two copies")
	}
	if _, err := LoadLocation("Europe/Nowhere"); err == nil {
		t.Error("Europe/Nowhere loaded")
	}
	if _, ok := locations.Load("Europe/Nowhere"); ok {
		t.Error("an unknown zone was kept")
	}
	// Spellings of a path that reach the same file are loaded, but not kept: they are endless.
	for _, name := range []string{"Europe/./Berlin", "Europe//Berlin", "./Europe/Berlin"} {
		if _, err := LoadLocation(name); err != nil {
			continue
		}
		if _, ok := locations.Load(name); ok {
			t.Errorf("%s was kept", name)
		}
	}
}
