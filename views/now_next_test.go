package views

import (
	"testing"
	"time"
)

func TestStatusTabCountSaysWhenItStoppedCounting(t *testing.T) {
	if got := (StatusTab{Count: 10000, AtLeast: true}).countText(); got != "10,000+" {
		t.Errorf("capped count = %q", got)
	}
	if got := (StatusTab{Count: 1234}).countText(); got != "1,234" {
		t.Errorf("count = %q", got)
	}
}

func TestRetryShareNeverCallsRetriedSuccessesClean(t *testing.T) {
	r := RetryShare{Runs: 5, Completed: 5, Retried: 2, CompletedRetried: 2}
	if got := r.Outcome(); got != "100 % succeeded, 40 % after retries" {
		t.Errorf("outcome = %q", got)
	}
	if got := (RetryShare{Runs: 1000, Completed: 999}).Outcome(); got != "99.9 % succeeded" {
		t.Errorf("999 of 1000 = %q, want no rounding up to 100 %%", got)
	}
}

func TestNextDayGroupsALongListByHour(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 20, 0, 0, time.UTC)
	var slots []NextSlot
	for i := range 12 {
		at := now.Add(time.Duration(i+1) * 15 * time.Minute)
		slots = append(slots, NextSlot{JobID: 1, Hour: at.Truncate(time.Hour)})
	}
	d := NewNextDay(slots, 3, false, now)
	if len(d.Hours) != 4 || d.Hours[0].Label != "10:00–11:00 UTC" || len(d.Hours[0].Slots) != 2 {
		t.Errorf("hours = %+v", d.Hours)
	}
	if got := d.moreText(); got != "and 3 more runs in the next 24 hours" {
		t.Errorf("more = %q", got)
	}
	if short := NewNextDay(slots[:3], 0, false, now); len(short.Hours) != 1 || short.Hours[0].Label != "" {
		t.Errorf("a short list is not grouped: %+v", short.Hours)
	}
}
