package schedule

import (
	"github.com/cronflow/cronflow/queries/store/words"

	"errors"
	"fmt"
	"strings"
)

// cronFieldWord is one field of a cron expression, named and bounded as a person reads it.
type cronFieldWord struct {
	name, bounds, example string
}

// cronFieldWords are the fields of a five-field expression; a six-field one has secondFieldWord first.
var (
	secondFieldWord = cronFieldWord{"seconds", "seconds go from 0 to 59", "*/10"}
	cronFieldWords  = []cronFieldWord{
		{"minute", "minutes go from 0 to 59", "*/15"},
		{"hour", "hours go from 0 to 23", "9-17"},
		{"day of month", "days of the month go from 1 to 31", "1,15"},
		{"month", "months go from 1 to 12, or JAN to DEC", "1-6"},
		{"day of week", "days of the week go from 0 (Sunday) to 6, or SUN to SAT", "MON-FRI"},
	}
)

// cronProblem words why the parser refused spec, as a sentence that follows "The schedule": it
// names the field at fault and what that field takes, because the parser's own message ("end of
// range (61) above maximum (59): 61") names neither. err is the parser's error, kept for the log.
func cronProblem(spec string, err error) error {
	if strings.HasPrefix(spec, "@") {
		return fmt.Errorf("uses “%s”, which is not a shortcut Cronflow knows: use @yearly, @monthly, @weekly, "+
			"@daily, @hourly, or @every with a duration such as @every 30s", spec)
	}
	parts := strings.Fields(spec)
	fields := cronFieldWords
	if len(parts) == 6 {
		fields = append([]cronFieldWord{secondFieldWord}, cronFieldWords...)
	}
	if len(parts) != len(fields) {
		return fmt.Errorf("has %d %s, but a cron expression has 5 (minute, hour, day of month, month, day of week), "+
			"or 6 with the seconds first", len(parts), words.Plural(int64(len(parts)), "part", "parts"))
	}
	for i, f := range fields {
		probe := make([]string, len(parts))
		for j := range probe {
			probe[j] = "*"
		}
		probe[i] = parts[i]
		if _, perr := parser.Parse(strings.Join(probe, " ")); perr != nil {
			return fmt.Errorf("has %s %s field “%s” that is not valid: %s; write a number, a range such as 1-5, "+
				"a list such as 1,15, or a step such as %s", words.Article(f.name), f.name, parts[i], f.bounds, f.example)
		}
	}
	return errors.New("is not a valid cron expression: " + err.Error())
}

// everyProblem words a bad @every interval.
const everyProblem = "has an @every interval that is not a duration: write it such as @every 30s, @every 5m or @every 1h30m"
