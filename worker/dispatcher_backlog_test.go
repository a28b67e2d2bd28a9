package worker

import (
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"
)

func TestBacklogKeepsEachSlotOnceOldestFirstAndRefusesWhatItCannotHold(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(job int64, s int) due { return due{jobID: job, slot: t0.Add(time.Duration(s) * time.Second)} }
	b := newBacklog(4)
	if refused := b.add([]due{at(1, 2), at(2, 1), at(1, 1), at(1, 2)}); refused != 0 || b.size() != 3 {
		t.Fatalf("refused %d, kept %d; want 0 and 3 (a slot given twice is kept once)", refused, b.size())
	}
	got := b.oldest(10)
	if len(got) != 3 || !got[0].slot.Equal(t0.Add(time.Second)) || !got[2].slot.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("oldest = %v, want the three slots oldest first", got)
	}

	if refused := b.add([]due{at(3, 3), at(4, 3), at(3, 4)}); refused != 2 || b.size() != 4 {
		t.Fatalf("refused %d, kept %d; want job 4's slot refused when full, and job 3's later slot after it", refused, b.size())
	}
	if kept, left := b.filter([]due{at(4, 5), at(5, 5)}); len(kept) != 1 || left != 1 || kept[0].jobID != 5 {
		t.Errorf("filter kept %v, left out %d; want a refused job's slot left out", kept, left)
	}
	if !b.needsCatchup() {
		t.Error("refused jobs need a catch-up")
	}

	started := time.Now()
	b.caughtUp(started)
	if !b.needsCatchup() {
		t.Error("refusals were taken back while slots are still kept")
	}
	b.remove(b.oldest(10))
	if b.size() != 0 {
		t.Fatalf("%d slots kept after all were stored", b.size())
	}
	b.caughtUp(started)
	if b.needsCatchup() {
		t.Error("refusals stayed after a catch-up with nothing kept")
	}
}

func TestBacklogKeepsRefusalsWhenASlotWasLeftOutPastTheCatchup(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b := newBacklog(1)
	b.add([]due{{jobID: 1, slot: t0}, {jobID: 2, slot: t0}}) // job 2 refused: the backlog is full
	b.remove(b.oldest(10))
	// A catch-up decides about the slots up to until; job 2's next slot comes while it runs, after
	// until, and is left out.
	until := time.Now()
	workertest.WaitFor(t, time.Second, "the clock past until", func() bool { return time.Now().After(until) })
	if kept, left := b.filter([]due{{jobID: 2, slot: t0.Add(time.Second)}}); len(kept) != 0 || left != 1 {
		t.Fatalf("filter kept %v, left out %d; want the refused job's slot left out", kept, left)
	}
	b.caughtUp(until)
	if !b.needsCatchup() {
		t.Error("refusals were taken back though a slot left out after until was not looked at")
	}
}

// The scheduler hands a slot over before its time: a catch-up that looked up to a moment after the
// slot was left out, but before the slot itself, has not decided about it.
func TestBacklogKeepsRefusalsWhenASlotLeftOutAheadIsPastTheCatchup(t *testing.T) {
	t.Parallel()
	b := newBacklog(1)
	now := time.Now()
	b.add([]due{{jobID: 1, slot: now}, {jobID: 2, slot: now}}) // job 2 refused: the backlog is full
	b.remove(b.oldest(10))
	leftOut := time.Now()
	if _, left := b.filter([]due{{jobID: 2, slot: leftOut.Add(fireAhead)}}); left != 1 {
		t.Fatalf("left out %d slots, want the refused job's one", left)
	}
	workertest.WaitFor(t, time.Second, "the clock past the leaving out", func() bool { return time.Now().After(leftOut) })
	b.caughtUp(time.Now())
	if !b.needsCatchup() {
		t.Error("refusals were taken back though the slot left out lies past what the catch-up looked at")
	}
}

func TestBacklogHandsJobsPastTheWindowToTheCatchup(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b := newBacklog(3)
	b.add([]due{{jobID: 1, slot: t0}, {jobID: 1, slot: t0.Add(time.Hour)}, {jobID: 2, slot: t0.Add(time.Hour)}})
	b.add([]due{{jobID: 3, slot: t0.Add(time.Hour)}}) // refused: the backlog is full
	if n := b.refuseOlder(t0.Add(time.Minute)); n != 2 || b.size() != 1 {
		t.Fatalf("took out %d, kept %d; want both of job 1's slots out, job 2's kept", n, b.size())
	}
	if kept, _ := b.filter([]due{{jobID: 1, slot: t0.Add(2 * time.Hour)}}); len(kept) != 0 {
		t.Error("a later slot of a job handed to the catch-up was let through")
	}
	before := time.Now().Add(-time.Hour)
	b.remove(b.oldest(10))
	b.caughtUp(before)
	if !b.needsCatchup() {
		t.Error("a catch-up that began before the last refusal took the refusals back")
	}
}
