package notify

import (
	"strings"
	"testing"
)

func TestReminderMessages(t *testing.T) {
	t.Parallel()
	first := Event{Event: Failing, Job: &EventJob{ID: 7, Name: "Nightly"}, ConsecutiveFailures: 1, Repeat: "1 hour"}
	if s := Text(first); !strings.HasPrefix(s, "Failing: Nightly failed 1 run in a row.") ||
		!strings.Contains(s, "a reminder follows its next failed run after 1 hour") {
		t.Errorf("first failing notice with reminders = %q", s)
	}
	reminder := first
	reminder.Reminder, reminder.ConsecutiveFailures = 2, 9
	if s := Subject(reminder); s != "Still failing (reminder 2): Nightly failed 9 runs in a row" {
		t.Errorf("reminder subject = %q", s)
	}
	plain := Event{Event: Failing, Job: &EventJob{ID: 7, Name: "Nightly"}, ConsecutiveFailures: 1}
	if s := Text(plain); !strings.Contains(s, "No more notices are sent about it until it completes a run again.") {
		t.Errorf("failing notice without reminders = %q", s)
	}
}
