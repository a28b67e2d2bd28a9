package views

import (
	"fmt"
	"strings"
	"time"
)

// TrendDay is one UTC day of a job's durations: the median and 95th percentile of its completed runs.
type TrendDay struct {
	Day         time.Time
	Median, P95 time.Duration
	Runs        int64
}

// RetryShare is how a job's last settled runs went (issue 27): how many settled, how many
// succeeded, and how many needed a retry, in all and among those that succeeded.
type RetryShare struct {
	Runs, Completed, Retried, CompletedRetried int64
}

// percent writes part of whole to one decimal, without a trailing ".0": "40 %", "99.5 %". It never
// rounds up to 100 % what is not all of it.
func percent(part, whole int64) string {
	if whole == 0 {
		return "–"
	}
	p := float64(part) * 100 / float64(whole)
	s := fmt.Sprintf("%.1f", p)
	if s == "100.0" && part < whole {
		s = "99.9"
	}
	return strings.TrimSuffix(s, ".0") + " %"
}

// RetryRate is the share of settled runs that needed a retry: "12 % of the last 50 settled runs".
func (r RetryShare) RetryRate() string {
	return percent(r.Retried, r.Runs)
}

// Outcome says how the runs went, without calling a success that took retries a clean one: "100 %
// succeeded, 40 % after retries".
func (r RetryShare) Outcome() string {
	s := percent(r.Completed, r.Runs) + " succeeded"
	if r.CompletedRetried > 0 {
		s += ", " + percent(r.CompletedRetried, r.Runs) + " after retries"
	}
	return s
}

// trendWidth and trendHeight are the trend's drawing box; it is scaled to its column.
const trendWidth, trendHeight = 300, 60

// trendLine is a polyline's points for one of the durations, scaled to the slowest 95th percentile.
func trendLine(days []TrendDay, p95 bool) string {
	var top time.Duration
	for _, d := range days {
		top = max(top, d.P95)
	}
	if top == 0 {
		top = 1
	}
	var pts []string
	for i, d := range days {
		x := 0.0
		if len(days) > 1 {
			x = float64(i) * trendWidth / float64(len(days)-1)
		}
		v := d.Median
		if p95 {
			v = d.P95
		}
		y := trendHeight - 2 - float64(v)/float64(top)*(trendHeight-4)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	return strings.Join(pts, " ")
}

// trendWords is the trend in a sentence, the drawing's accessible name.
func trendWords(days []TrendDay) string {
	if len(days) == 0 {
		return ""
	}
	first, last := days[0], days[len(days)-1]
	return fmt.Sprintf("Over %d %s: median from %s to %s, 95th percentile from %s to %s", len(days),
		plural(int64(len(days)), "day", "days"), Duration(first.Median), Duration(last.Median), Duration(first.P95), Duration(last.P95))
}
