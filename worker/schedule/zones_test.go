package schedule

import (
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/schedule/scheduletest"
)

// Every case of the daylight-saving table over real zones; the preview and the scheduler are
// tested over the same table (handlers/schedule_preview_test.go).
func TestRealZones(t *testing.T) {
	t.Parallel()
	for _, tc := range scheduletest.ZoneCases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			s, err := Job{Cron: tc.Cron, Timezone: tc.Timezone}.Schedule()
			if err != nil {
				t.Fatal(err)
			}
			got := NextRuns(s, tc.From, len(tc.Want))
			for i := range tc.Want {
				if i >= len(got) || !got[i].Equal(tc.Want[i]) {
					t.Fatalf("runs = %v, want %v", utcAll(got), tc.Want)
				}
			}
		})
	}
}

func utcAll(ts []time.Time) []time.Time {
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.UTC()
	}
	return out
}
