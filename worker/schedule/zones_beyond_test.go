package schedule

import (
	"testing"
	"time"
)

// Beyond the last year the zone data spells out, Go's zone bounds repeat at the end of a leap year
// (Australia/Lord_Howe in 2040); a yearly slot must still be found, and a slot skipped by a later
// spring-forward still run at the change.
func TestSlotsPastTheZoneDataStillCome(t *testing.T) {
	t.Parallel()
	zone, err := time.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, cron string
		from, want time.Time
	}{
		{"YearlyAcrossTheLeapYearsEnd", "30 2 1 1 *", time.Date(2040, 6, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2041, 1, 1, 2, 30, 0, 0, zone)},
		{"SkippedSlotAfterThatYearRunsAtTheChange", "15 2 6 10 *", time.Date(2040, 12, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2041, 10, 6, 2, 30, 0, 0, zone)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tc.cron, "Australia/Lord_Howe")
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(tc.from); !got.Equal(tc.want) {
				t.Fatalf("next = %v, want %v", got, tc.want)
			}
		})
	}
}
