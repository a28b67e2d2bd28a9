package handlers

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cronflow/cronflow/views"
)

// The job form's schedule presets (issue 27): every N minutes or hours, every day, weekdays, every
// week or every month at a time, each written server-side as the cron expression it stands for, so
// that a preset is checked, stored and put into words exactly as a typed expression is. Cron itself
// is the advanced mode. Each preset is one entry here: the form's radio buttons, its fields, the
// cron it writes and the reading of a stored job's cron back into it all come from this list.

// schedulePreset is one simple schedule: the fields it asks for and its cron pattern, in which
// {field} stands for that field's value.
type schedulePreset struct {
	mode, label, pattern string
	fields               []string
}

// schedulePresets are the form's simple schedules, in the order the form offers them.
var schedulePresets = []schedulePreset{
	{mode: "minutes", label: "Every N minutes", pattern: "*/{every_minutes} * * * *", fields: []string{"every_minutes"}},
	{mode: "hours", label: "Every N hours", pattern: "{minute} */{every_hours} * * *", fields: []string{"every_hours", "minute"}},
	{mode: modeSimple, label: "Every day", pattern: "{minute} {hour} * * *", fields: []string{"hour", "minute"}},
	{mode: "weekdays", label: "Weekdays", pattern: "{minute} {hour} * * 1-5", fields: []string{"hour", "minute"}},
	{mode: "weekly", label: "Every week", pattern: "{minute} {hour} * * {weekday}", fields: []string{"weekday", "hour", "minute"}},
	{mode: "monthly", label: "Every month", pattern: "{minute} {hour} {month_day} * *", fields: []string{"month_day", "hour", "minute"}},
}

// presetField is what one preset field accepts: a whole number from lo to hi, or, if only is set,
// one of those (the steps that divide an hour or a day evenly).
type presetField struct {
	lo, hi int
	only   []int
}

// presetFields are the presets' fields by name.
var presetFields = map[string]presetField{
	"every_minutes": {only: []int{1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30}},
	"every_hours":   {only: []int{1, 2, 3, 4, 6, 8, 12}},
	"hour":          {lo: 0, hi: 23},
	"minute":        {lo: 0, hi: 59},
	"weekday":       {lo: 0, hi: 6},
	"month_day":     {lo: 1, hi: 31},
}

// presetFieldNames are the fields of every preset, each once, for the live check's problem slots.
var presetFieldNames = []string{"every_minutes", "every_hours", "weekday", "month_day", "hour", "minute"}

// weekdays are the weekly preset's days, Monday first, with cron's numbers.
var weekdays = []views.Option{
	{Value: "1", Label: "Monday"}, {Value: "2", Label: "Tuesday"}, {Value: "3", Label: "Wednesday"},
	{Value: "4", Label: "Thursday"}, {Value: "5", Label: "Friday"}, {Value: "6", Label: "Saturday"}, {Value: "0", Label: "Sunday"},
}

// presetOf is the preset of a form mode; ok is false for the advanced mode.
func presetOf(mode string) (schedulePreset, bool) {
	i := slices.IndexFunc(schedulePresets, func(p schedulePreset) bool { return p.mode == mode })
	if i < 0 {
		return schedulePreset{}, false
	}
	return schedulePresets[i], true
}

// isMode reports whether mode is one the form offers.
func isMode(mode string) bool {
	_, ok := presetOf(mode)
	return ok || mode == modeAdvanced
}

// check reads one preset field as typed, or adds its problem.
func (pf presetField) check(name, text string, problems map[string]string) (int, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		problems[name] = "is required"
		return 0, false
	}
	n, err := strconv.Atoi(text)
	switch {
	case pf.only != nil && (err != nil || !slices.Contains(pf.only, n)):
		problems[name] = "must be one of " + numberList(pf.only) + ", so that the runs are evenly spaced"
	case pf.only == nil && (err != nil || n < pf.lo || n > pf.hi):
		problems[name] = fmt.Sprintf("must be a whole number from %d to %d", pf.lo, pf.hi)
	default:
		return n, true
	}
	return 0, false
}

// numberList writes 1, 2 or 3.
func numberList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// cron writes the preset's cron expression from the form's values, or adds a problem per field.
func (p schedulePreset) cron(values map[string]string, problems map[string]string) (string, bool) {
	spec, ok := p.pattern, true
	for _, name := range p.fields {
		n, valid := presetFields[name].check(name, values[name], problems)
		ok = ok && valid
		spec = strings.ReplaceAll(spec, "{"+name+"}", strconv.Itoa(n))
	}
	return spec, ok
}

// presetPlaceholder is a {field} in a preset's pattern.
var presetPlaceholder = regexp.MustCompile(`\\\{([a-z_]+)\\\}`)

// presetFromCron finds the preset that writes spec exactly, and its fields' values, so that a job
// made with a preset is edited with it. Anything else is the advanced mode's.
func presetFromCron(spec string) (string, map[string]string) {
	for _, p := range schedulePresets {
		var names []string
		expr := presetPlaceholder.ReplaceAllStringFunc(regexp.QuoteMeta(p.pattern), func(m string) string {
			names = append(names, presetPlaceholder.FindStringSubmatch(m)[1])
			return `(\d{1,2})`
		})
		m := regexp.MustCompile("^" + expr + "$").FindStringSubmatch(spec)
		if m == nil {
			continue
		}
		values := map[string]string{}
		for i, name := range names {
			values[name] = m[i+1]
		}
		if again, ok := p.cron(values, map[string]string{}); ok && again == spec {
			return p.mode, values
		}
	}
	return modeAdvanced, nil
}

// presetOptions are the form's kinds of schedule, the advanced mode last.
func presetOptions() []views.Option {
	opts := make([]views.Option, 0, len(schedulePresets)+1)
	for _, p := range schedulePresets {
		opts = append(opts, views.Option{Value: p.mode, Label: p.label})
	}
	return append(opts, views.Option{Value: modeAdvanced, Label: "Cron expression"})
}

// presetValues are the preset fields as typed, by name.
func (f jobForm) presetValues() map[string]string {
	return map[string]string{"every_minutes": f.EveryMinutes, "every_hours": f.EveryHours, "hour": f.Hour,
		"minute": f.Minute, "weekday": f.Weekday, "month_day": f.MonthDay}
}

// setPresetValues fills the preset fields a stored job's cron gave; the others keep their defaults.
func (f *jobForm) setPresetValues(values map[string]string) {
	for name, dst := range map[string]*string{"every_minutes": &f.EveryMinutes, "every_hours": &f.EveryHours,
		"hour": &f.Hour, "minute": &f.Minute, "weekday": &f.Weekday, "month_day": &f.MonthDay} {
		if v, ok := values[name]; ok {
			*dst = v
		}
	}
}
