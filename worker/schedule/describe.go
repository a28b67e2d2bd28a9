package schedule

import (
	"fmt"
	"strings"
	"time"
)

// descriptors are the named schedules, as the cron expressions they stand for.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

var (
	monthNames = []string{"", "January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
	dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// Describe puts a cron expression or descriptor into English ("At 02:30, every day",
// "Every 30 seconds", "At 09:00, Monday through Friday"), so that a person can check a schedule
// without reading cron. Common shapes get a natural sentence; anything else is described field by
// field, which is always correct if not always elegant. It returns "" for a spec that Parse
// would refuse, so that a caller never shows words for a schedule that does not exist. The words
// do not name a time zone: the caller shows the job's.
func Describe(spec string) string {
	spec = strings.Join(strings.Fields(spec), " ")
	if _, err := Parse(spec, "UTC"); err != nil {
		return ""
	}
	if HasH(spec) {
		// The values are each job's own: the next runs show them.
		return "At times chosen for this job (H): see its next runs"
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, _ := time.ParseDuration(rest)
		return "Every " + describeDuration(d)
	}
	if expr, ok := descriptors[strings.ToLower(spec)]; ok {
		spec = expr
	}
	f := strings.Fields(spec)
	sec := "0"
	if len(f) == 6 {
		sec, f = f[0], f[1:]
	}
	c := cronFields{
		sec:   parseField(sec, 0, 59, nil),
		min:   parseField(f[0], 0, 59, nil),
		hour:  parseField(f[1], 0, 23, nil),
		dom:   parseField(f[2], 1, 31, nil),
		month: parseField(f[3], 1, 12, monthNames),
		dow:   parseField(f[4], 0, 6, dayNames),
	}
	when, daily := c.timeOfDay()
	days := c.days()
	switch {
	case days == "" && daily:
		return when + ", every day"
	case days == "":
		return when
	default:
		return when + ", " + days
	}
}

// describeDuration writes d as "30 seconds" or "1 hour and 30 minutes"; a single unit drops its
// number ("hour"), so that "Every hour" reads naturally.
func describeDuration(d time.Duration) string {
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	for _, u := range []struct {
		n    int
		name string
	}{{h, "hour"}, {m, "minute"}, {s, "second"}} {
		if u.n > 0 {
			parts = append(parts, plural(u.n, u.name))
		}
	}
	if len(parts) == 1 && strings.HasPrefix(parts[0], "1 ") {
		return parts[0][2:]
	}
	return joinAnd(parts)
}

// cronFields is a parsed expression, one field per unit.
type cronFields struct{ sec, min, hour, dom, month, dow field }

// timeOfDay describes the second, minute and hour fields. daily is true when the result names
// fixed times of day, which read as incomplete without the days they happen on.
func (c cronFields) timeOfDay() (string, bool) {
	if c.sec.isValue(0) {
		switch {
		case c.min.single() && c.hour.single():
			return "At " + clock(c.hour.parts[0].lo, c.min.parts[0].lo, -1), true
		case c.min.single() && c.hour.singles(6):
			return "At " + clockList(c.hour.values(), []int{c.min.parts[0].lo}), true
		case c.min.singles(6) && c.hour.single():
			return "At " + clockList([]int{c.hour.parts[0].lo}, c.min.values()), true
		case c.min.all() && c.hour.all():
			return "Every minute", false
		case c.min.even(60) && c.hour.all():
			return "Every " + plural(c.min.parts[0].step, "minute"), false
		case c.min.single() && c.hour.all():
			return fmt.Sprintf("At minute %d of every hour", c.min.parts[0].lo), false
		case c.min.isValue(0) && c.hour.even(24):
			return "Every " + plural(c.hour.parts[0].step, "hour") + ", on the hour", false
		}
		return "At " + c.min.phrase("minute") + " past " + c.hour.phrase("hour"), false
	}
	switch {
	case c.sec.single() && c.min.single() && c.hour.single():
		return "At " + clock(c.hour.parts[0].lo, c.min.parts[0].lo, c.sec.parts[0].lo), true
	case c.sec.all() && c.min.all() && c.hour.all():
		return "Every second", false
	case c.sec.even(60) && c.min.all() && c.hour.all():
		return "Every " + plural(c.sec.parts[0].step, "second"), false
	case c.min.all() && c.hour.all():
		return "At " + c.sec.phrase("second") + " of every minute", false
	}
	return "At " + c.sec.phrase("second") + " past " + c.min.phrase("minute") + " past " + c.hour.phrase("hour"), false
}

// days describes the day-of-month, month and day-of-week fields, or returns "" for every day.
func (c cronFields) days() string {
	var day string
	domSet, dowSet := !c.dom.all(), !c.dow.all()
	switch {
	case domSet && dowSet && !c.dom.star && !c.dow.star:
		// Cron runs on days that match either field when both are restricted.
		day = c.dom.dayOfMonth() + ", or " + c.dow.weekdays()
	case domSet && c.dom.single() && c.month.single() && !dowSet:
		return fmt.Sprintf("on %d %s", c.dom.parts[0].lo, monthNames[c.month.parts[0].lo])
	case domSet:
		day = c.dom.dayOfMonth()
		if dowSet {
			day += ", if it is " + strings.TrimPrefix(c.dow.weekdays(), "only ")
		}
	case dowSet:
		day = c.dow.weekdays()
	}
	if c.month.all() {
		return day
	}
	if day == "" {
		day = "every day"
	}
	return day + ", " + c.month.months()
}
