package notify

import (
	"fmt"
	"strings"
)

// Subject is a notice in one line, as an email's subject or a Slack message's first line.
func Subject(e Event) string {
	switch {
	case e.Event == Test:
		return "Cronflow test notice for " + e.Channel
	case e.Job == nil:
		return "Cronflow notice"
	case e.Event == Recovered:
		return fmt.Sprintf("Recovered: %s runs again", e.Job.Name)
	}
	return fmt.Sprintf("Failing: %s failed %d %s in a row", e.Job.Name, e.ConsecutiveFailures, runs(e.ConsecutiveFailures))
}

// Text is a notice as a short message for people, with a link to the run.
func Text(e Event) string {
	var b strings.Builder
	b.WriteString(Subject(e))
	b.WriteString(".\n")
	switch {
	case e.Event == Test:
		b.WriteString("This channel works: alerts of the jobs that use it will arrive like this one.\n")
	case e.Event == Recovered:
		b.WriteString("Its last run completed; further failures will be reported again.\n")
	default:
		b.WriteString("No more notices are sent about it until it completes a run again.\n")
	}
	if r := e.Run; r != nil {
		fmt.Fprintf(&b, "\nRun #%d (%s, scheduled %s)", r.ID, r.Status, r.ScheduledAt.UTC().Format("2006-01-02 15:04:05 UTC"))
		if r.Error != "" {
			fmt.Fprintf(&b, ": %s", firstLine(r.Error, 300))
		}
		fmt.Fprintf(&b, "\n%s\n", r.url)
	}
	return b.String()
}

// firstLine is the first line of s, at most n characters.
func firstLine(s string, n int) string {
	line, _, _ := strings.Cut(s, "\n")
	if r := []rune(line); len(r) > n {
		return string(r[:n]) + "…"
	}
	return line
}

func runs(n int32) string {
	if n == 1 {
		return "run"
	}
	return "runs"
}
