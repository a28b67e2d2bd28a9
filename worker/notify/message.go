package notify

import (
	"fmt"
	"strings"
	"unicode"
)

// Subject is a notice in one line, as an email's subject or a Slack message's first line. The
// job's or channel's name is put in as text, its line breaks made spaces: a name with a line
// break must not stop the email alerts of its job.
func Subject(e Event) string { return subject(e, oneLine) }

// Text is a notice as a short message for people, with a link to the run. Names and errors are
// put in as they are: a notice is built, never expanded as a template.
func Text(e Event) string { return text(e, oneLine) }

// SlackText is Text for Slack, whose message syntax reads &, < and > as markup: in the values put
// in, they are escaped, so that a job name cannot mention @channel or make a link.
func SlackText(e Event) string {
	return text(e, func(s string) string { return slackEscaper.Replace(oneLine(s)) })
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// subject builds the one-line notice, each value put in through esc.
func subject(e Event, esc func(string) string) string {
	switch {
	case e.Event == Test:
		return "Cronflow test notice for " + esc(e.Channel)
	case e.Job == nil:
		return "Cronflow notice"
	case e.Event == Recovered:
		return fmt.Sprintf("Recovered: %s runs again", esc(e.Job.Name))
	case e.Event == Failing && e.Reminder > 0:
		return fmt.Sprintf("Still failing (reminder %d): %s failed %d %s in a row", e.Reminder, esc(e.Job.Name),
			e.ConsecutiveFailures, runs(e.ConsecutiveFailures))
	case e.Event == Failing:
		return fmt.Sprintf("Failing: %s failed %d %s in a row", esc(e.Job.Name), e.ConsecutiveFailures, runs(e.ConsecutiveFailures))
	case e.Event == Skipped:
		return fmt.Sprintf("Skipped: a slot of %s was not run", esc(e.Job.Name))
	case e.Event == Missed:
		return fmt.Sprintf("Missed: a slot of %s passed without a run", esc(e.Job.Name))
	case e.Event == Paused:
		return fmt.Sprintf("Paused: %s failed %d %s in a row and paused itself", esc(e.Job.Name), e.ConsecutiveFailures, runs(e.ConsecutiveFailures))
	}
	return fmt.Sprintf("%s: %s", eventTitle(e.Event), esc(e.Job.Name))
}

// eventTitle names an event in a subject: "job.skipped" is "Skipped", "job.paused_itself" is
// "Paused itself", so that an event this file does not know still reads well.
func eventTitle(event string) string {
	name := event[strings.LastIndex(event, ".")+1:]
	name = strings.ReplaceAll(name, "_", " ")
	if name == "" {
		return "Cronflow notice"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// text builds the message, each value put in through esc.
func text(e Event, esc func(string) string) string {
	var b strings.Builder
	b.WriteString(subject(e, esc))
	b.WriteString(".\n")
	switch {
	case e.Event == Test:
		b.WriteString("This channel works: alerts of the jobs that use it will arrive like this one.\n")
	case e.Event == Recovered:
		b.WriteString("Its last run completed; further failures will be reported again.\n")
	case e.Event == Failing && e.Repeat != "":
		fmt.Fprintf(&b, "While it keeps failing, a reminder follows its next failed run after %s.\n", e.Repeat)
	case e.Event == Skipped:
		b.WriteString("An earlier run of the job was still unsettled, and its overlap policy skips such slots.\n")
	case e.Event == Missed:
		b.WriteString("The slot passed while no scheduler could run it, and the job's catchup policy does not run it late.\n")
	case e.Event == Paused:
		b.WriteString("It runs no more until someone resumes it.\n")
	case e.Event == Failing:
		b.WriteString("No more notices are sent about it until it completes a run again.\n")
	}
	if e.Message != "" {
		b.WriteString(esc(e.Message) + "\n")
	}
	if r := e.Run; r != nil {
		fmt.Fprintf(&b, "\nRun #%d (%s, scheduled %s)", r.ID, esc(r.Status), r.ScheduledAt.UTC().Format("2006-01-02 15:04:05 UTC"))
		if r.Error != "" {
			fmt.Fprintf(&b, ": %s", esc(firstLine(r.Error, 300)))
		}
		fmt.Fprintf(&b, "\n%s\n", esc(r.url))
	}
	return b.String()
}

// oneLine makes every line break and other control character of s a space.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ReplaceAll(s, "\r\n", " "))
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
