package views

import (
	"github.com/cronflow/cronflow/queries/store/words"

	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Moment is a point in time as the dashboard shows it: relative ("in 3 min", "2 min ago") where that
// is what a person wants to know, with the exact time, which always names its zone, one hover away.
// The zero Moment stands for "never" or "not yet".
type Moment struct {
	ISO   string // machine-readable, for <time datetime>
	Rel   string // "in 3 min", "2 min ago", "just now"
	Exact string // "2026-03-28 10:15:07 UTC"
}

// IsZero reports whether the moment stands for no time at all.
func (m Moment) IsZero() bool { return m.ISO == "" }

// NewMoment describes t as seen at now, with its exact time in loc (UTC when loc is nil). A nil t
// gives the zero Moment, so that optional timestamps need no checks in the templates.
func NewMoment(t *time.Time, now time.Time, loc *time.Location) Moment {
	if t == nil || t.IsZero() {
		return Moment{}
	}
	return Moment{ISO: t.UTC().Format(time.RFC3339), Rel: Relative(*t, now), Exact: Exact(*t, loc)}
}

// Exact writes t in loc to the second, with the zone's name, so that no time on screen is ambiguous.
func Exact(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04:05 ") + zoneName(loc)
}

// ShortExact writes t in loc to the minute, with the weekday, for lists of upcoming runs.
func ShortExact(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 ") + zoneName(loc)
}

func zoneName(loc *time.Location) string {
	if loc.String() == "" || loc.String() == "Local" {
		return "UTC"
	}
	return loc.String()
}

// Relative writes how far t is from now in the largest unit that fits: "in 3 min", "2 h ago".
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if d < 0 {
		d = -d
	}
	var s string
	switch {
	case d < 2*time.Second:
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h", int(d.Hours()))
	default:
		s = fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Duration writes a run's duration to a useful precision: "350 ms", "1.2 s", "2 min 5 s".
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return ""
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', -1, 64) + " s"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s"
	}
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fieldID turns a form field's name ("payload.url") into the part of an element id that stands for
// it ("payload-url"), which needs no escaping in a CSS selector.
func fieldID(field string) string { return strings.ReplaceAll(field, ".", "-") }

// plural picks the word for n things, as words.Plural does for every message.
func plural(n int64, one, many string) string { return words.Plural(n, one, many) }

// fieldLabels name a form's fields (a job's, a user's, a token's) as a sentence about them starts.
var fieldLabels = map[string]string{
	"password": "The password", "role": "The role", "current": "That", "confirm": "The confirmation",
	"disabled": "Disabled",
	"name":     "The name", "type": "The task", "cron": "The schedule", "hour": "The hour", "minute": "The minute",
	"timezone": "The time zone", "max_retries": "Retries", "retry_delay": "The retry delay", "timeout": "The timeout",
	"catchup": "Missed runs", "retry_backoff": "The delay growth", "retry_on": "Retry on",
	// schedule presets (issue 27)
	"every_minutes": "The number of minutes", "every_hours": "The number of hours", "weekday": "The day of the week",
	"month_day": "The day of the month",
	"payload":   "The task's settings", "payload.url": "The URL", "payload.to": "The recipients",
	"payload.subject": "The subject", "payload.body": "The body", "payload.webhook_url": "The webhook URL",
	"payload.text": "The message", "config.to": "The recipients", "config.webhook_url": "The webhook URL",
	"config.url": "The URL", "config": "The settings", "alerts.channels": "The alert channels",
	"alerts.after": "The number of failed runs",
	// issue 21, jitter and windows
	"jitter": "The jitter", "start_at": "The start", "end_at": "The end", "blackouts": "The blackouts",
	// alert rules (issue 22)
	"alerts.repeat": "The reminder interval", "alerts.flap_window": "The flap window", "alerts.on": "The alert events",
	// an HTTP task's request options, named as the form labels them (issue 27)
	"payload.method": "The method", "payload.headers": "The headers", "payload.expect_status": "Expected status",
	"payload.expect_body": "Expected body text",
}

// problemSentence turns a field's problem as validation states it ("is required") into a sentence
// that reads on its own under the field ("The URL is required.").
func problemSentence(field, msg string) string {
	if msg == "" {
		return ""
	}
	label, ok := fieldLabels[field]
	if !ok {
		label = "This field"
	}
	return sentence(label, msg)
}
