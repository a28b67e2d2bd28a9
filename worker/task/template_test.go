package task

import (
	"encoding/json"
	"testing"
	"time"
)

// {{run.scheduled_at}} is the run's scheduled_at exactly as the API's JSON shows it, fraction of a
// second and all, so that a receiver can match what it got with the run (issue 21).
func TestScheduledAtTemplateIsTheAPIsTime(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"AWholeSecond", time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC), "2026-03-01T01:30:00Z"},
		{"ARunNowWithMicroseconds", time.Date(2026, 12, 6, 12, 40, 9, 374236000, time.UTC), "2026-12-06T12:40:09.374236Z"},
		{"ATrailingZeroIsDropped", time.Date(2026, 12, 6, 12, 40, 9, 374230000, time.UTC), "2026-12-06T12:40:09.37423Z"},
		{"AnotherZoneIsWrittenInUTC", time.Date(2026, 7, 1, 9, 0, 0, 500000000, berlin), "2026-07-01T07:00:00.5Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Task{ScheduledAt: tc.at}.expand("{{run.scheduled_at}}", asText)
			if err != nil {
				t.Fatal(err)
			}
			api, _ := json.Marshal(tc.at.UTC())
			if got != tc.want || `"`+got+`"` != string(api) {
				t.Errorf("{{run.scheduled_at}} = %s, want %s (the API writes %s)", got, tc.want, api)
			}
		})
	}
}
