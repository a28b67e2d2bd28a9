// Package words says things in the words a person reads, for the pages and for the problems the
// store reports alike. It depends on nothing but the standard library.
package words

import (
	"strconv"
	"strings"
	"time"
)

// Duration says a duration in words: "1 hour", "5 minutes 30 seconds", "250 ms".
func Duration(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	var parts []string
	for _, u := range []struct {
		size      time.Duration
		one, many string
	}{{time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}, {time.Second, "second", "seconds"}} {
		if n := int64(d / u.size); n > 0 {
			unit := u.many
			if n == 1 {
				unit = u.one
			}
			parts = append(parts, strconv.FormatInt(n, 10)+" "+unit)
			d -= time.Duration(n) * u.size
		}
	}
	if d > 0 { // a fraction of a second is rare enough to say in milliseconds
		parts = append(parts, strconv.FormatInt(d.Milliseconds(), 10)+" ms")
	}
	return strings.Join(parts, " ")
}
