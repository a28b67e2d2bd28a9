package schedule

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Cache answers Job.Schedule, parsing each distinct schedule once. A million jobs share a few
// cron expressions and zones: parsed one by one they would cost seconds when the scheduler starts
// and a parsed copy each. Jobs whose expression, zone, jitter offset, start and end come to the
// same (their H tokens resolved first) share one schedule value, so that the values are also keys:
// what the first of them was asked, the others need not ask again (the scheduler's first slots).
// A Cache is not safe for concurrent use, and keeps every distinct schedule it was asked for:
// make a new one for each pass over the jobs.
type Cache struct {
	parsed map[parseKey]parsed
	jobs   map[jobKey]cron.Schedule
}

// parseKey is what a parse depends on once the H tokens are resolved.
type parseKey struct{ spec, tz string }

// parsed is one parse's outcome.
type parsed struct {
	s   cron.Schedule
	err error
}

// jobKey is what a job's schedule depends on beyond its parse.
type jobKey struct {
	parseKey
	offset     time.Duration
	start, end time.Time
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{parsed: map[parseKey]parsed{}, jobs: map[jobKey]cron.Schedule{}}
}

// Schedule is j.Schedule(), the same slots and the same errors, from the cache when a job with
// the same schedule was asked for before.
func (c *Cache) Schedule(j Job) (cron.Schedule, error) {
	if err := j.checkJitter(); err != nil {
		return nil, err
	}
	spec := strings.TrimSpace(j.Cron)
	if strings.IndexByte(spec, 'H') >= 0 { // else there is no H token to resolve
		var err error
		if spec, err = resolveH(spec, j.ID); err != nil {
			return j.Schedule() // worded as it words it
		}
	}
	pk := parseKey{spec, j.Timezone}
	p, ok := c.parsed[pk]
	if !ok {
		p.s, p.err = parseFor(spec, j.Timezone, 0) // no H left to resolve
		c.parsed[pk] = p
	}
	if p.err != nil {
		return nil, p.err
	}
	jk := jobKey{pk, JitterOffset(j.ID, j.Jitter), j.StartAt, j.EndAt}
	s, ok := c.jobs[jk]
	if !ok {
		s = j.bound(p.s)
		c.jobs[jk] = s
	}
	return s, nil
}
