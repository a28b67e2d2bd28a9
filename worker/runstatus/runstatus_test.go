package runstatus

import "testing"

func TestEveryStatusParsesAndSaysWhetherItIsSettled(t *testing.T) {
	t.Parallel()
	settled := map[Status]bool{Completed: true, PermanentlyFailed: true, Missed: true, Skipped: true, Cancelled: true}
	if got := len(All()); got != 8 {
		t.Fatalf("%d statuses, want 8", got)
	}
	for _, s := range All() {
		if p, ok := Parse(s.String()); !ok || p != s {
			t.Errorf("Parse(%q) = %q, %v", s, p, ok)
		}
		if s.Settled() != settled[s] {
			t.Errorf("%s settled = %v", s, s.Settled())
		}
	}
	if _, ok := Parse("done"); ok {
		t.Error(`"done" parses as a status`)
	}
}

func TestLabelsTellRetryingFromFailedForGood(t *testing.T) {
	t.Parallel()
	if Failed.Label() != "failed, will retry" || PermanentlyFailed.Label() != "failed for good" || Queued.Label() != "queued" {
		t.Errorf("labels: %q, %q, %q", Failed.Label(), PermanentlyFailed.Label(), Queued.Label())
	}
}
