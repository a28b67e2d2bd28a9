package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// field is one parsed cron field: a list of ranges with steps.
type field struct {
	parts  []part
	lo, hi int
	names  []string
	star   bool // the field is "*" or "?", as cron's day matching cares
}

// part is one item of a field's list: lo-hi/step.
type part struct{ lo, hi, step int }

// parseField reads one field of an expression that Parse accepted. names, when given, map
// a value's first three letters (case-insensitive) to its index.
func parseField(s string, lo, hi int, names []string) field {
	f := field{lo: lo, hi: hi, names: names, star: s == "*" || s == "?"}
	for _, item := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		p := part{step: 1}
		if hasStep {
			p.step, _ = strconv.Atoi(stepText)
		}
		if rng == "*" || rng == "?" {
			p.lo, p.hi = lo, hi
		} else {
			a, b, isRange := strings.Cut(rng, "-")
			p.lo = fieldValue(a, names)
			p.hi = p.lo
			if isRange {
				p.hi = fieldValue(b, names)
			} else if hasStep {
				p.hi = hi
			}
		}
		f.parts = append(f.parts, p)
	}
	return f
}

func fieldValue(s string, names []string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	for i, name := range names {
		if len(name) >= 3 && strings.EqualFold(name[:3], s) {
			return i
		}
	}
	return 0
}

// all reports whether the field matches every value, as "*" does.
func (f field) all() bool {
	return len(f.parts) == 1 && f.parts[0].lo == f.lo && f.parts[0].hi == f.hi && f.parts[0].step == 1
}

// single reports whether the field is one value.
func (f field) single() bool { return len(f.parts) == 1 && f.parts[0].lo == f.parts[0].hi }

func (f field) isValue(v int) bool { return f.single() && f.parts[0].lo == v }

// singles reports whether the field is a list of at most n single values.
func (f field) singles(n int) bool {
	if len(f.parts) > n {
		return false
	}
	for _, p := range f.parts {
		if p.lo != p.hi {
			return false
		}
	}
	return true
}

// even reports whether the field is "*/n" with n dividing period, so "every n units" is exact.
func (f field) even(period int) bool {
	p := f.parts[0]
	return len(f.parts) == 1 && p.lo == f.lo && p.hi == f.hi && p.step > 1 && period%p.step == 0
}

func (f field) values() []int {
	out := make([]int, 0, len(f.parts))
	for _, p := range f.parts {
		out = append(out, p.lo)
	}
	return out
}

// name writes a value of the field: a day or month name where the field has names.
func (f field) name(v int) string {
	if f.names != nil && v >= 0 && v < len(f.names) && f.names[v] != "" {
		return f.names[v]
	}
	return strconv.Itoa(v)
}

// phrase describes the field generically, in the style of "every 15th minute from 10 through 50".
func (f field) phrase(unit string) string {
	if f.all() {
		return "every " + unit
	}
	if f.singles(len(f.parts)) {
		if f.single() {
			return unit + " " + f.name(f.parts[0].lo)
		}
		return unit + "s " + joinAnd(f.labels(f.values()))
	}
	items := make([]string, 0, len(f.parts))
	for _, p := range f.parts {
		items = append(items, f.partPhrase(p, unit))
	}
	return joinAnd(items)
}

func (f field) partPhrase(p part, unit string) string {
	every := "every " + unit
	if p.step > 1 {
		every = "every " + ordinal(p.step) + " " + unit
	}
	switch {
	case p.lo == p.hi:
		return unit + " " + f.name(p.lo)
	case p.lo == f.lo && p.hi == f.hi:
		return every
	case p.step == 1 && f.names != nil:
		return f.name(p.lo) + " through " + f.name(p.hi)
	}
	return every + " from " + f.name(p.lo) + " through " + f.name(p.hi)
}

func (f field) labels(vs []int) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, f.name(v))
	}
	return out
}

func (f field) dayOfMonth() string {
	if f.single() {
		return fmt.Sprintf("on day %d of the month", f.parts[0].lo)
	}
	return "on " + f.phrase("day") + " of the month"
}

func (f field) weekdays() string {
	switch {
	case f.single():
		return "only on " + f.name(f.parts[0].lo)
	case f.singles(len(f.parts)):
		return "on " + joinAnd(f.labels(f.values()))
	case len(f.parts) == 1 && f.parts[0].step == 1:
		return f.name(f.parts[0].lo) + " through " + f.name(f.parts[0].hi)
	}
	return "on " + f.phrase("day of the week")
}

func (f field) months() string {
	switch {
	case f.singles(len(f.parts)):
		return "in " + joinAnd(f.labels(f.values()))
	case len(f.parts) == 1 && f.parts[0].step == 1:
		return f.name(f.parts[0].lo) + " through " + f.name(f.parts[0].hi)
	}
	return "in " + f.phrase("month")
}

// clock writes a time of day as 24-hour "02:30", or "02:30:15" when sec is not negative.
func clock(h, m, sec int) string {
	if sec < 0 {
		return fmt.Sprintf("%02d:%02d", h, m)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}

// clockList writes every combination of hours and minutes, in order.
func clockList(hours, minutes []int) string {
	var out []string
	for _, h := range hours {
		for _, m := range minutes {
			out = append(out, clock(h, m, -1))
		}
	}
	return joinAnd(out)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// joinAnd writes a list as English does: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
