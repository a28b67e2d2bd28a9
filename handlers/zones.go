package handlers

import (
	_ "embed"
	"strings"
	"sync"
	"time"

	"github.com/cronflow/cronflow/worker/schedule"
)

// timezoneList is UTC and every zone of the IANA database's zone.tab and zone1970.tab, one a line:
// the zones people pick, without the old aliases. Refresh it from a tzdata package with
//
//	(echo UTC; (grep -v '^#' zone1970.tab | cut -f3; grep -v '^#' zone.tab | cut -f3) | sort -u) > timezones.txt
//
//go:embed timezones.txt
var timezoneList string

// timezones are the zones the job form suggests as the person types.
var timezones = sync.OnceValue(func() []string { return strings.Fields(timezoneList) })

// zones caches loaded time zones: every row of a job list shows times in its job's zone, and
// loading a zone reads the zone database.
var zones sync.Map

// zone returns the named zone, or UTC for a name that does not load (a job's zone was checked when
// it was saved, so that means the server's zone database lacks it).
func zone(name string) *time.Location {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := schedule.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(name, loc)
	return loc
}
