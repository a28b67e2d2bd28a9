package schedule

import (
	"strings"
	"testing"
)

func TestScheduleProblemsNameTheFieldInWords(t *testing.T) {
	t.Parallel()
	for spec, says := range map[string][]string{
		"61 * * * *":     {"has a minute field “61” that is not valid", "minutes go from 0 to 59"},
		"0 24 * * *":     {"hour field “24”", "hours go from 0 to 23"},
		"0 0 32 * *":     {"day of month field “32”", "from 1 to 31"},
		"0 0 * 13 *":     {"month field “13”", "JAN to DEC"},
		"0 0 * * FUNDAY": {"day of week field “FUNDAY”", "SUN to SAT"},
		"70 * * * * *":   {"seconds field “70”", "seconds go from 0 to 59"},
		"*/5 * * *":      {"has 4 parts, but a cron expression has 5", "6 with the seconds first"},
		"*":              {"has 1 part,"},
		"@fortnightly":   {"uses “@fortnightly”, which is not a shortcut", "@every 30s"},
		"@every soon":    {"@every interval that is not a duration", "@every 1h30m"},
		"5-1 * * * *":    {"minute field “5-1”"},
	} {
		_, err := Parse(spec, "UTC")
		if err == nil {
			t.Errorf("%q parsed; want a problem", spec)
			continue
		}
		for _, s := range says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%q: %q does not say %q", spec, err, s)
			}
		}
		for _, raw := range []string{"above maximum", "expected", "failed to parse", "time: invalid", "["} {
			if strings.Contains(err.Error(), raw) {
				t.Errorf("%q: %q shows the parser's own words (%q)", spec, err, raw)
			}
		}
	}
}
