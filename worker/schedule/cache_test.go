package schedule

import (
	"fmt"
	"hash/fnv"
	"testing"
	"time"
)

// A cached schedule must be the job's schedule: the same slots, through the daylight-saving
// changes of its zone, and the same error for a job that has none.
func TestCacheGivesEachJobItsOwnSchedule(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	jobs := []Job{
		{ID: 1, Cron: "30 2 * * *", Timezone: "Europe/Berlin"},
		{ID: 2, Cron: "30 2 * * *", Timezone: "Europe/Berlin"},
		{ID: 3, Cron: "30 2 * * *", Timezone: "America/New_York"},
		{ID: 4, Cron: " 30 2 * * * ", Timezone: "Europe/Berlin"},
		{ID: 5, Cron: "H H * * *", Timezone: "UTC"},
		{ID: 6, Cron: "H H * * *", Timezone: "UTC"},
		{ID: 7, Cron: "*/5 * * * *", Timezone: "UTC", Jitter: 10 * time.Minute},
		{ID: 8, Cron: "*/5 * * * *", Timezone: "UTC", StartAt: start, EndAt: end},
		{ID: 9, Cron: "@every 90s", Timezone: "UTC"},
		{ID: 10, Cron: "0 0 1 1 *", Timezone: "Australia/Lord_Howe"},
		{ID: 11, Cron: "61 * * * *", Timezone: "UTC"},
		{ID: 12, Cron: "H(40-20) * * * *", Timezone: "UTC"},
		{ID: 13, Cron: "* * * * *", Timezone: "Mars/Olympus"},
		{ID: 14, Cron: "* * * * *", Timezone: "UTC", Jitter: 2 * time.Hour},
	}
	c := NewCache()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for round := range 2 { // the second answers from the cache
		for _, j := range jobs {
			want, wantErr := j.Schedule()
			got, err := c.Schedule(j)
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("round %d, job %d: error %v, want %v", round, j.ID, err, wantErr)
			}
			if err != nil {
				continue
			}
			w, g := NextRuns(want, from, 10), NextRuns(got, from, 10)
			if len(w) != len(g) {
				t.Fatalf("round %d, job %d: %d slots, want %d", round, j.ID, len(g), len(w))
			}
			for i := range w {
				if !w[i].Equal(g[i]) {
					t.Fatalf("round %d, job %d: slot %d is %s, want %s", round, j.ID, i, g[i], w[i])
				}
			}
		}
	}
	a, _ := c.Schedule(jobs[0])
	b, _ := c.Schedule(jobs[3])
	if a != b {
		t.Error("two jobs with the same schedule got two values")
	}
	if len(c.parsed) != 9 {
		t.Errorf("the cache parsed %d schedules, want 9 (jobs 1, 2 and 4 share one, 7 and 8 another)", len(c.parsed))
	}
}

// hashOf must hash the bytes it always hashed, or every job's H tokens and jitter would move.
func TestHashOfHashesWhatItAlwaysHashed(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{0, 1, 42, -7, 1 << 40} {
		for _, more := range [][]string{nil, {"minute", "0"}, {"hour", "12", "x"}} {
			h := fnv.New64a()
			fmt.Fprintf(h, "cronflow/%s/%d", "H", id)
			for _, m := range more {
				fmt.Fprintf(h, "/%s", m)
			}
			if got, want := hashOf("H", id, more...), h.Sum64(); got != want {
				t.Errorf("hashOf(H, %d, %v) = %d, want %d", id, more, got, want)
			}
		}
	}
}
