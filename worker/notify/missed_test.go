package notify

import (
	"strings"
	"testing"
	"time"
)

func TestMissedMessage(t *testing.T) {
	t.Parallel()
	e := Event{Event: Missed, Job: &EventJob{ID: 7, Name: "Nightly <!channel>"},
		Run: &EventRun{ID: 42, Status: "missed", Error: "the scheduler was not running", ScheduledAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}}
	if s := Subject(e); s != "Missed: a slot of Nightly <!channel> passed without a run" {
		t.Errorf("subject = %q", s)
	}
	if s := Text(e); !strings.Contains(s, "catchup policy does not run it late") || !strings.Contains(s, "Run #42 (missed, scheduled 2026-03-01 02:00:00 UTC)") {
		t.Errorf("text = %q", s)
	}
	if s := SlackText(e); !strings.Contains(s, "Nightly &lt;!channel&gt;") {
		t.Errorf("Slack text = %q", s)
	}
}
