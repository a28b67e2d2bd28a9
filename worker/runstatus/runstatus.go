// Package runstatus is the one definition of a run's status: the values the runs table's CHECK
// constraint allows, and what each means to the people and code that read it. It does no I/O, so
// the database code (sqlcgen), the worker and the dashboard's templates can all share it.
package runstatus

// Status is where a run stands. The database stores it as text; sqlc maps the runs.status column
// and every query parameter compared with it to this type, so a misspelt status does not compile.
type Status string

// The statuses a run goes through, in order. A run is queued until a consumer claims it, running
// while an attempt executes, and then completed, failed (a retry is still to come) or
// permanently_failed (no retries left). A missed run never ran: its slot passed while no scheduler
// could make it, and the job's catch-up policy left it out; its error says why. A skipped run was
// not executed on purpose: an earlier run of its job was still unsettled and the job's overlap
// policy said to skip it, or its slot fell in one of the job's blackouts (its error says why:
// "blackout" for the latter, issue 21). A cancelled run was stopped before it finished,
// because a later run of its job replaced it (overlap: replace).
const (
	Queued            Status = "queued"
	Running           Status = "running"
	Completed         Status = "completed"
	Failed            Status = "failed"
	PermanentlyFailed Status = "permanently_failed"
	Missed            Status = "missed"
	Skipped           Status = "skipped"
	Cancelled         Status = "cancelled"
)

// info is what is known about each status, in the order a run goes through them.
var info = []struct {
	status  Status
	label   string
	settled bool
}{
	{Queued, "queued", false},
	{Running, "running", false},
	{Completed, "completed", true},
	// A failed run is one whose retry is still to come, a different thing from a run that has
	// failed for good.
	{Failed, "failed, will retry", false},
	{PermanentlyFailed, "failed for good", true},
	{Missed, "missed", true},
	{Skipped, "skipped", true},
	{Cancelled, "cancelled", true},
}

// All returns every status in the order a run goes through them, for filters and counts.
func All() []Status {
	out := make([]Status, len(info))
	for i, s := range info {
		out[i] = s.status
	}
	return out
}

// Parse returns the status named s, and false if s names none, so that a filter from a URL can be
// checked before it reaches a query.
func Parse(s string) (Status, bool) {
	for _, i := range info {
		if string(i.status) == s {
			return i.status, true
		}
	}
	return "", false
}

// Label is the status in the words people see on the dashboard. An unknown status (there is none
// in the database, thanks to its CHECK constraint) is shown as it is.
func (s Status) Label() string {
	for _, i := range info {
		if i.status == s {
			return i.label
		}
	}
	return string(s)
}

// Settled reports whether nothing more will happen to a run in this status: it is finished for
// good, so a page showing it need not refresh.
func (s Status) Settled() bool {
	for _, i := range info {
		if i.status == s {
			return i.settled
		}
	}
	return false
}

// String returns the status as stored.
func (s Status) String() string { return string(s) }
