package views

// NextRunRow is one of a job's next runs on its page (issue 27): relative, in the job's zone, and
// in UTC, which app.js turns into the viewer's own zone. Blackout says the slot will be skipped.
type NextRunRow struct {
	At           Moment
	JobZone, UTC string
	Blackout     bool
}

// Backfill is the backfill form and its preview (issue 27). From and To are as typed, in the
// job's zone; once both read, Previewed is true and Slots counts the window's slots, Existing those
// that already have a run (they keep it), First and Last the first and last slot in the job's zone,
// and FromUTC and ToUTC the window as the confirmation sends it.
type Backfill struct {
	JobID             int64
	JobName, Timezone string
	From, To          string
	Problems          map[string]string
	Cap               int
	Previewed         bool
	Slots, Existing   int64
	First, Last       string
	FromUTC, ToUTC    string
}

// Creates is how many runs the backfill will make.
func (b Backfill) Creates() int64 { return b.Slots - b.Existing }

// Count writes a number with its noun: "1 run", "1,200 runs".
func Count(n int64, one, many string) string { return Thousands(n) + " " + plural(n, one, many) }
