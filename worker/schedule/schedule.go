// Package schedule reads job schedules: it parses cron expressions in a time zone, puts them into
// words and lists their next runs. A stored job's slots are Job.Schedule's: its H tokens
// (hash.go) and jitter offset chosen from its id, within its start and end (job.go). It does no
// I/O, so that pages, the preview and the scheduler share it.
package schedule

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// parser accepts standard 5-field expressions, an optional leading seconds field, and descriptors.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse parses a cron expression evaluated in the IANA time zone tz. "@every d" schedules
// are aligned to multiples of d since the Unix epoch instead of to the moment they were loaded, so
// that every replica and every restart computes the same slots, and a slot is a stable key. H
// tokens are resolved as for a job not stored yet; a stored job's schedule is Job.Schedule.
func Parse(spec, tz string) (cron.Schedule, error) {
	return parseFor(spec, tz, 0)
}

// parseFor is Parse with the H tokens resolved for the job jobID.
func parseFor(spec, tz string, jobID int64) (cron.Schedule, error) {
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
			return nil, errors.New(everyProblem)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, errors.New("must use a whole number of seconds, at least 1s, with @every")
		}
		return everySchedule{every: d}, nil
	}
	spec, err = resolveH(spec, jobID)
	if err != nil {
		return nil, err
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, cronProblem(spec, err)
	}
	parsed, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("is not a supported schedule")
	}
	parsed.Location = loc
	return zonedSchedule{parsed}, nil
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
	if loc, ok := locations.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("is not a known IANA time zone: %q", tz)
	}
	if path.Clean(tz) != tz {
		return loc, nil // Europe/./Berlin: known, but not a name to keep
	}
	kept, _ := locations.LoadOrStore(tz, loc)
	return kept.(*time.Location), nil
}

// locations keeps each time zone loaded once, by name. time.LoadLocation reads and copies the zone's
// whole history on every call: a few kilobytes that 100,000 jobs in one zone would each hold a copy of.
// Only known zones under their plain names are kept, so it holds at most the zone database's files.
var locations sync.Map

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

// zonedSchedule is a cron expression in a time zone, with the daylight-saving rules of the classic
// cron daemons: a job at a fixed hour runs once when the clocks go back (not in both copies of the
// repeated hour), and runs at the change when the clocks go forward past its time (instead of not at
// all, as robfig/cron would). A job whose hour field is "*" keeps to real time: every hour that
// passes, once.
type zonedSchedule struct{ spec *cron.SpecSchedule }

// starBit is robfig/cron's mark of a field given as "*".
const starBit = 1 << 63

// Next returns the first slot strictly after t, in the schedule's zone. t is read in that zone
// first: robfig/cron answers in t's zone, and the daylight-saving rules below read the zone's
// changes from the answer (a t in UTC, as the scheduler's clock may be, would hide them).
func (z zonedSchedule) Next(t time.Time) time.Time {
	t = t.In(z.spec.Location)
	n := z.spec.Next(t)
	if z.spec.Hour&starBit != 0 {
		return n
	}
	for !n.IsZero() && repeatedWallClock(n) {
		n = z.spec.Next(n)
	}
	if gap := z.springForward(t, n); !gap.IsZero() {
		return gap
	}
	return n
}

// repeatedWallClock reports whether n's wall-clock time already happened once that day, before the
// clocks went back.
func repeatedWallClock(n time.Time) bool {
	start, _ := n.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, now := n.Zone()
	_, before := start.Add(-time.Second).Zone()
	return before > now && n.Sub(start) < time.Duration(before-now)*time.Second
}

// springForward returns the first moment the clocks went forward between t and n at which the
// schedule wanted a wall-clock time in the stretch that was skipped; otherwise the zero time. Every
// change between the two is looked at, not only the one nearest n: a yearly slot that falls in the
// gap makes robfig/cron's n a year later, past the next year's changes.
func (z zonedSchedule) springForward(t, n time.Time) time.Time {
	if n.IsZero() {
		return time.Time{}
	}
	_, change := t.In(n.Location()).ZoneBounds()
	for !change.IsZero() && !change.After(n) {
		if z.skippedAt(change) {
			return change.In(n.Location())
		}
		next := nextZoneChange(change)
		if !next.After(change) {
			break
		}
		change = next
	}
	return time.Time{}
}

// nextZoneChange is the first change of zone offset after change. Past the last year the zone data
// spells out, Go's ZoneBounds can answer the end of a year's last period with that same instant
// (Australia/Lord_Howe in leap year 2040, its year taken as 365 days), which would loop for ever:
// then the period a day later is read instead, its start when that is still to come.
func nextZoneChange(change time.Time) time.Time {
	if _, end := change.ZoneBounds(); end.After(change) {
		return end
	}
	start, end := change.Add(24 * time.Hour).ZoneBounds()
	if start.After(change) {
		return start
	}
	return end
}

// skippedAt reports whether the clocks went forward at change past a wall-clock time the schedule
// wanted.
func (z zonedSchedule) skippedAt(change time.Time) bool {
	_, now := change.Zone()
	_, before := change.Add(-time.Second).Zone()
	if now <= before {
		return false
	}
	// Read the schedule on the old clock: a match within the skipped stretch is a skipped slot.
	old := *z.spec
	old.Location = time.FixedZone("", before)
	m := old.Next(change.Add(-time.Second))
	return !m.IsZero() && m.Before(change.Add(time.Duration(now-before)*time.Second))
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
