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

// Plural picks the word for n things, "job" for one and "jobs" for any other number: the one
// place where Cronflow's messages, pages and problems choose between the two.
func Plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Count says how many things there are, the noun agreeing: "1 job", "3 jobs", "0 jobs".
func Count(n int64, one, many string) string {
	return strconv.FormatInt(n, 10) + " " + Plural(n, one, many)
}

// Article is the indefinite article a word takes when said aloud: "an hour field", "a minute
// field". It goes by the first letter, which is right for the words Cronflow puts after it.
func Article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) || strings.HasPrefix(strings.ToLower(word), "hour") {
		return "an"
	}
	return "a"
}
