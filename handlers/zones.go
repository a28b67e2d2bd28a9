package handlers

import (
	_ "embed"
	"fmt"
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

// maxZoneSuggestions is how many zones a problem with the time zone field suggests.
const maxZoneSuggestions = 3

// findZone reads the job form's time zone field as a person types it: an exact IANA name ("UTC",
// "Europe/Berlin", or an alias Go knows such as "US/Eastern"), or a city or part of a zone's name in
// any case, with spaces for underscores ("Berlin", "new york", "america/new_york"). It returns the
// zone's IANA name, or a problem that suggests what was probably meant.
func findZone(typed string) (string, string) {
	q := strings.TrimSpace(typed)
	if q == "" {
		return "UTC", ""
	}
	if _, err := schedule.LoadLocation(q); err == nil {
		return q, ""
	}
	key := zoneKey(q)
	var exact, city, part []string
	for _, name := range timezones() {
		n := zoneKey(name)
		switch {
		case n == key:
			exact = append(exact, name)
		case n[strings.LastIndexByte(n, '/')+1:] == key:
			city = append(city, name)
		case strings.Contains(n, key):
			part = append(part, name)
		}
	}
	for _, found := range [][]string{exact, city, part} {
		if len(found) == 1 {
			return found[0], ""
		}
		if len(found) > 1 {
			return "", fmt.Sprintf("“%s” fits %d zones, such as %s; type more of the name, or pick one from the list",
				q, len(found), orList(found[:min(len(found), maxZoneSuggestions)]))
		}
	}
	return "", fmt.Sprintf("“%s” is not a zone or a city Cronflow knows; type a city, such as Berlin, or a zone name, such as Europe/Berlin", q)
}

// zoneKey is a zone name as the search compares it: lower case, underscores as spaces.
func zoneKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "_", " ")), " "))
}

// orList joins names as a sentence does: "A", "A or B", "A, B or C".
func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
