package worker

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestLeasesThatRanOutDuringAnOutageAreLeftToTheirConsumersAWhile(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var g outageGrace
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if g.listed(t0, true, logger) {
		t.Fatal("the first list ever was taken for the end of an outage")
	}
	if got := g.leaseExpiredBefore(t0.Add(reapEvery)); !got.Equal(t0.Add(reapEvery)) {
		t.Fatalf("with no outage, leases that ran out before %s are reaped, want before now", got)
	}
	// A list that fails, then none for a minute: the database was out of reach.
	g.listed(t0.Add(reapEvery), false, logger)
	back := t0.Add(time.Minute)
	if !g.listed(back, true, logger) {
		t.Error("the first list after an outage is not dropped, though its parameters were chosen without the grace")
	}
	if got := g.leaseExpiredBefore(back.Add(time.Second)); !got.Equal(t0) {
		t.Errorf("just after the outage, leases that ran out before %s are reaped, want before it began (%s)", got, t0)
	}
	after := back.Add(leaseMargin + time.Second)
	if got := g.leaseExpiredBefore(after); !got.Equal(after) {
		t.Errorf("after the grace, leases that ran out before %s are reaped, want before now", got)
	}
	// Lists a reap apart are no outage.
	for at := back; at.Before(after); at = at.Add(reapEvery) {
		g.listed(at, true, logger)
	}
	if g.listed(after, true, logger) || g.listed(after.Add(reapEvery), true, logger) {
		t.Error("a list a reap after the one before was dropped")
	}
	if got := g.leaseExpiredBefore(after.Add(reapEvery)); !got.Equal(after.Add(reapEvery)) {
		t.Errorf("lists %s apart made a grace: leases before %s", reapEvery, got)
	}
}
