package views

import "strings"

// when is the moment the run's "When" column shows, and what happened then: its completion, else its
// start, else its scheduled time.
func (r RunRow) when() (Moment, string) {
	switch {
	case !r.Completed.IsZero():
		return r.Completed, "Completed"
	case !r.Started.IsZero():
		return r.Started, "Started"
	}
	return r.Scheduled, "Scheduled"
}

// whenTitle is the run's exact times, one per line, for the "When" column's tooltip.
func (r RunRow) whenTitle() string {
	var lines []string
	for _, t := range []struct {
		label string
		m     Moment
	}{{"Scheduled", r.Scheduled}, {"Started", r.Started}, {"Completed", r.Completed}} {
		if !t.m.IsZero() {
			lines = append(lines, t.label+" "+t.m.Exact)
		}
	}
	return strings.Join(lines, "\n")
}
