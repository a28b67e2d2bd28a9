package views

import "fmt"

// On phones a filter form folds behind a toggle that says how many filters are in use (issue 27).

// active counts the job list's filters in use (the sort is not one).
func (f JobsFilter) active() int {
	return countSet(f.Q, f.Type, f.State)
}

// active counts the runs page's filters in use besides its status, which its tabs show.
func (f RunsFilter) active() int {
	return countSet(f.JobID, f.From, f.To, f.Error)
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

// filterCountText is the toggle's count: "" for none, else "(2)"; app.js keeps it up to date as the
// form changes.
func filterCountText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("(%d)", n)
}
