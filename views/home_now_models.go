package views

import (
	"net/url"
	"time"
)

// RunningRun is a run in progress, for the home page's "Running now" (issue 27). Elapsed is how
// long it has run so far, as of the page's last refresh.
type RunningRun struct {
	RunID, JobID int64
	JobName      string
	Attempt      int32
	Elapsed      string
	Started      Moment
	Trigger      RunTrigger
}

// NextSlot is one slot of a job in the next 24 hours: when (relative, exact in UTC as its title),
// and Local, the slot in the job's own zone. Hour is the UTC hour it falls in.
type NextSlot struct {
	JobID          int64
	JobName, Words string
	At             Moment
	Local          string
	Hour           time.Time
}

// SlotHour is the slots of one hour; Label "" when the list is short enough not to be grouped.
type SlotHour struct {
	Label string
	Slots []NextSlot
}

// NextDay is the home page's "Next 24 hours": the first slots, in hours when there are many, and
// how many more there are (MoreAtLeast: it stopped counting at More).
type NextDay struct {
	Hours       []SlotHour
	Shown, More int64
	MoreAtLeast bool
}

// groupFrom is how many slots make the list worth grouping by hour.
const groupFrom = 10

// NewNextDay groups the slots by hour when there are more than a few.
func NewNextDay(slots []NextSlot, more int64, moreAtLeast bool, now time.Time) NextDay {
	d := NextDay{Shown: int64(len(slots)), More: more, MoreAtLeast: moreAtLeast}
	if len(slots) < groupFrom {
		if len(slots) > 0 {
			d.Hours = []SlotHour{{Slots: slots}}
		}
		return d
	}
	for _, s := range slots {
		if n := len(d.Hours); n == 0 || !d.Hours[n-1].Slots[0].Hour.Equal(s.Hour) {
			label := s.Hour.Format("15:00") + "–" + s.Hour.Add(time.Hour).Format("15:00") + " UTC"
			if s.Hour.Format("2006-01-02") != now.UTC().Format("2006-01-02") {
				label = s.Hour.Format("Mon ") + label
			}
			d.Hours = append(d.Hours, SlotHour{Label: label})
		}
		d.Hours[len(d.Hours)-1].Slots = append(d.Hours[len(d.Hours)-1].Slots, s)
	}
	return d
}

// moreText is the line under the list: "and 12 more in the next 24 hours", "and 10,000+ more".
func (d NextDay) moreText() string {
	n := Thousands(d.More)
	if d.MoreAtLeast {
		n += "+"
	}
	return "and " + n + " more " + plural(d.More, "run", "runs") + " in the next 24 hours"
}

// withTag is a link to path that keeps the home page's tag filter (issue 27), so that its "see
// more" links and its poll show the same jobs as the page.
func (s HomeStats) withTag(path string, query url.Values) string {
	if s.Tag != "" {
		query.Set("tag", s.Tag)
	}
	if len(query) == 0 {
		return path
	}
	return path + "?" + query.Encode()
}
