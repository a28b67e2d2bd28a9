package broker

import (
	"testing"
	"time"
)

func TestABlockageIsCountedOnceAndTimedUntilItClears(t *testing.T) {
	t.Parallel()
	p := &Publisher{}
	if blocked, _ := p.Blocked(); blocked || p.BlockedEvents() != 0 || p.BlockedSeconds() != 0 {
		t.Fatal("a new publisher is blocked")
	}
	if !p.blocked.set("low on memory") || p.blocked.set("low on memory") {
		t.Fatal("a second connection.blocked counted as a new blockage")
	}
	if blocked, reason := p.Blocked(); !blocked || reason != "low on memory" {
		t.Errorf("Blocked() = %v, %q; want true, the broker's reason", blocked, reason)
	}
	time.Sleep(20 * time.Millisecond)
	took, was := p.blocked.clear()
	if !was || took < 20*time.Millisecond {
		t.Errorf("clear() = %s, %v; want the blockage's length, true", took, was)
	}
	if _, was := p.blocked.clear(); was {
		t.Error("a second connection.unblocked ended a blockage")
	}
	if blocked, _ := p.Blocked(); blocked || p.BlockedEvents() != 1 || p.BlockedSeconds() < 0.02 {
		t.Errorf("after the blockage: blocked %v, %d events, %.3f s; want false, 1, at least 0.02", blocked, p.BlockedEvents(), p.BlockedSeconds())
	}
}
