package views

import (
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries/store/words"
)

// previewRunes is the most of a text a one-line preview shows: a table cell shows fewer, and the
// whole text is one hover or one click away.
const previewRunes = 100

// firstLine is the start of a text's first line, for one-line previews that the full text follows.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	cut := false
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s, cut = strings.TrimSpace(s[:i]), true
	}
	if r := []rune(s); len(r) > previewRunes {
		s, cut = string(r[:previewRunes]), true
	}
	if cut {
		s += " …"
	}
	return s
}

// attemptsText says how often a run was tried, singular and plural right: "1 attempt",
// "3 attempts (2 retries)".
func attemptsText(attempts, retries int32) string {
	s := itoa(int64(attempts)) + " " + plural(int64(attempts), "attempt", "attempts")
	if retries > 0 {
		s += " (" + itoa(int64(retries)) + " " + plural(int64(retries), "retry", "retries") + ")"
	}
	return s
}

// DurationWords writes a job's delay or timeout as a person says it: "2 seconds", "1 hour",
// "1 minute 30 seconds". Go's "1h0m0s" is never shown.
func DurationWords(d time.Duration) string { return words.Duration(d) }

// DurationInput writes a duration as the job form's fields take it, in the short form their hints
// show ("2s", "1m30s", "1h"), without the zero units Go adds ("1h0m0s").
func DurationInput(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ShortExactSeconds is ShortExact to the second, for schedules that run more than once a minute.
func ShortExactSeconds(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04:05 ") + zoneName(loc)
}

// sessionsCountText says how many sessions there are and which of them the page lists: "3
// browsers are signed in as you.", "36 browsers are signed in as you; these are 21 to 36.".
func sessionsCountText(a Account) string {
	s := words.Count(a.SessionTotal, "browser is", "browsers are") + " signed in as you"
	if n := int64(len(a.Sessions)); n > 0 && n < a.SessionTotal {
		s += "; these are " + itoa(a.SessionFirst) + " to " + itoa(a.SessionFirst+n-1)
	}
	return s + "."
}
