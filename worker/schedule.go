package worker

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parser accepts standard 5-field expressions, an optional leading seconds field, and descriptors.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron expression evaluated in the IANA time zone tz. "@every d" schedules
// are aligned to multiples of d since the Unix epoch instead of to the moment they were loaded, so
// that every replica and every restart computes the same slots, and a slot is a stable key.
func ParseSchedule(spec, tz string) (cron.Schedule, error) {
	loc, err := LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("is required")
	}
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return nil, errors.New("must not name a time zone; use the timezone field")
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("has an invalid @every duration: %w", err)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, errors.New("@every needs a whole number of seconds, at least 1s")
		}
		return everySchedule{every: d}, nil
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("is not a valid cron expression: %w", err)
	}
	spec2, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("is not a supported schedule")
	}
	spec2.Location = loc
	return spec2, nil
}

// LoadLocation loads an IANA time zone; the empty name means UTC. "Local" is refused, because a
// schedule must not change meaning with the server's settings.
func LoadLocation(tz string) (*time.Location, error) {
	if tz == "" || tz == "UTC" {
		return time.UTC, nil
	}
	if tz == "Local" {
		return nil, errors.New("must be an IANA time zone name such as Europe/Berlin, not Local")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("is not a known IANA time zone: %q", tz)
	}
	return loc, nil
}

// NextRuns returns the next n times of s after t.
func NextRuns(s cron.Schedule, t time.Time, n int) []time.Time {
	times := make([]time.Time, 0, n)
	for len(times) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		times = append(times, t)
	}
	return times
}

// everySchedule fires at every multiple of every since the Unix epoch.
type everySchedule struct{ every time.Duration }

// Next returns the first multiple of every strictly after t.
func (e everySchedule) Next(t time.Time) time.Time {
	step := int64(e.every / time.Second)
	sec := t.Unix()
	next := (sec/step + 1) * step
	return time.Unix(next, 0).In(t.Location())
}
