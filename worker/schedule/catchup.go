package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Catchup is a job's policy for its slots that passed without a run, because no scheduler was
// running or the database could not be reached for longer than the leader could wait. Whatever it
// leaves out is recorded as a missed run, so that nothing is skipped in silence.
type Catchup string

// The catch-up policies. Latest is the default and what Cronflow always did.
const (
	CatchupLatest Catchup = "latest"
	CatchupAll    Catchup = "all"
	CatchupNone   Catchup = "none"
)

// Bounds of one catch-up of one job: at most MaxCatchupRuns missed slots are run (policy all), and
// at most MaxMissedRecorded of the others are recorded as missed runs (the newest); older ones are
// counted and logged.
const (
	MaxCatchupRuns    = 100
	MaxMissedRecorded = 100
)

// maxWalk bounds how many slots one plan steps through; a job every second missed for days
// would otherwise cost seconds of CPU.
const maxWalk = 1_000_000

// catchupPolicy is everything about one policy.
type catchupPolicy struct {
	name  Catchup
	label string
	help  string
	// pick chooses, from the missed slots inside the window (oldest first), those to run, and says
	// why the others are not run.
	pick func(inWindow []time.Time) (run []time.Time, why string)
}

var catchupPolicies = []catchupPolicy{
	{CatchupLatest, "Run the latest missed slot",
		"After an outage, run the most recent missed slot once; record the others as missed.",
		func(s []time.Time) ([]time.Time, string) {
			return s[len(s)-1:], "a later missed slot of the job ran instead (catchup latest)"
		}},
	{CatchupAll, "Run every missed slot",
		fmt.Sprintf("After an outage, run every missed slot inside the catch-up window, oldest first, at most %d.", MaxCatchupRuns),
		func(s []time.Time) ([]time.Time, string) {
			return s[max(0, len(s)-MaxCatchupRuns):], fmt.Sprintf("more than %d slots were missed inside the catch-up window (catchup all)", MaxCatchupRuns)
		}},
	{CatchupNone, "Run none",
		"After an outage, run nothing that was missed; record every missed slot as missed.",
		func([]time.Time) ([]time.Time, string) { return nil, "the job does not catch up (catchup none)" }},
}

// Catchups lists the policies in the order a form offers them.
func Catchups() []Catchup {
	out := make([]Catchup, len(catchupPolicies))
	for i, p := range catchupPolicies {
		out[i] = p.name
	}
	return out
}

// ParseCatchup returns the policy named s; the empty string is the default, latest.
func ParseCatchup(s string) (Catchup, bool) {
	if s == "" {
		return CatchupLatest, true
	}
	for _, p := range catchupPolicies {
		if string(p.name) == s {
			return p.name, true
		}
	}
	return "", false
}

func (c Catchup) policy() catchupPolicy {
	for _, p := range catchupPolicies {
		if p.name == c {
			return p
		}
	}
	return catchupPolicies[0]
}

// Label is the policy in the words a form shows.
func (c Catchup) Label() string { return c.policy().label }

// Help says what the policy does, in a sentence.
func (c Catchup) Help() string { return c.policy().help }

// MissedSlot is a slot that is not run, and why.
type MissedSlot struct {
	At     time.Time
	Reason string
}

// CatchupPlan is what catching up does with one job's missed slots.
type CatchupPlan struct {
	// Run are the slots to run, oldest first.
	Run []time.Time
	// Missed are the slots to record as missed, oldest first: the newest MaxMissedRecorded.
	Missed []MissedSlot
	// MissedTotal counts the missed slots, recorded or not; past a million stepped through, the
	// oldest are no longer counted, so it is then a lower bound.
	MissedTotal int
	// Next is the job's first slot after until.
	Next time.Time
}

// Plan decides about every slot of sched from from (the first slot that passed without a run) up
// to until: which to run and which are missed, by the policy, for slots younger than window; slots
// older than the window are missed whatever the policy. A zero window runs nothing.
func (c Catchup) Plan(sched cron.Schedule, from, until time.Time, window time.Duration) CatchupPlan {
	p := CatchupPlan{Next: sched.Next(until)}
	// The last slots, enough for those that run and those recorded: the walk keeps no more.
	keep := MaxCatchupRuns + MaxMissedRecorded
	var recent []time.Time
	total := 0
	for n, walked := sched.Next(from.Add(-time.Nanosecond)), 0; !n.IsZero() && !n.After(until); n = sched.Next(n) {
		if walked++; walked == maxWalk {
			// Too many to step through: the oldest are past the window anyway. Go on from one
			// window (or a day) before until, leaving those in between uncounted.
			if j := sched.Next(until.Add(-max(window, 24*time.Hour))); j.After(n) {
				n = j
			}
		}
		total++
		recent = append(recent, n)
		if len(recent) > 2*keep {
			recent = append(recent[:0], recent[len(recent)-keep:]...)
		}
	}
	if len(recent) > keep {
		recent = recent[len(recent)-keep:]
	}
	older := total - len(recent) // missed, not recorded, past every bound

	cut := 0 // recent[:cut] are older than the window
	for cut < len(recent) && (window <= 0 || until.Sub(recent[cut]) > window) {
		cut++
	}
	var why string
	if cut < len(recent) {
		p.Run, why = c.policy().pick(recent[cut:])
	}
	windowWhy := fmt.Sprintf("older than the catch-up window (CATCHUP_WINDOW=%s) when the scheduler caught up", window)
	if window <= 0 {
		windowWhy = "catching up is off (CATCHUP_WINDOW=0)"
	}
	runs := map[time.Time]bool{}
	for _, r := range p.Run {
		runs[r] = true
	}
	for i, s := range recent {
		switch {
		case runs[s]:
		case i < cut:
			p.Missed = append(p.Missed, MissedSlot{At: s, Reason: windowWhy})
		default:
			p.Missed = append(p.Missed, MissedSlot{At: s, Reason: why})
		}
	}
	p.MissedTotal = older + len(p.Missed)
	if len(p.Missed) > MaxMissedRecorded {
		p.Missed = p.Missed[len(p.Missed)-MaxMissedRecorded:]
	}
	return p
}
