package views

import (
	"fmt"
	"strconv"
	"time"
)

// Chart is the home page's bar chart of the last 24 hours, drawn on the server as SVG so that it
// needs no script and costs a few hundred bytes. Each bar is one hour (UTC) of finished runs:
// completed below, failed on top.
type Chart struct {
	Bars                []ChartBar
	Ticks               []ChartTick
	Max                 int64
	Completed, Failed   int64
	Summary             string // the chart in words, for people who cannot see it
	Width, Height, Plot int
}

// ChartBar is one hour's bar; the geometry is in SVG user units, already scaled.
type ChartBar struct {
	X, W, CompletedY, CompletedH, FailedY, FailedH int
	Title                                          string
}

// ChartTick labels one bar on the hour axis; most labels are empty, so that the axis reads every
// six hours.
type ChartTick struct {
	Label string
}

// Empty reports whether no run finished in the chart's hours.
func (c Chart) Empty() bool { return c.Completed+c.Failed == 0 }

const (
	chartSlot = 20  // width of one hour
	chartPlot = 100 // height of the bars' area
)

// NewChart lays out 24 hourly bars starting at the hour start (UTC). completed[i] and failed[i] are
// the runs of hour start+i.
func NewChart(start time.Time, completed, failed [24]int64) Chart {
	c := Chart{Width: 24 * chartSlot, Plot: chartPlot}
	for i := range 24 {
		c.Completed += completed[i]
		c.Failed += failed[i]
		if t := completed[i] + failed[i]; t > c.Max {
			c.Max = t
		}
	}
	for i := range 24 {
		hour := start.Add(time.Duration(i) * time.Hour).UTC()
		x := i * chartSlot
		ch, fh := scale(completed[i], c.Max), scale(failed[i], c.Max)
		c.Bars = append(c.Bars, ChartBar{
			X: x + 3, W: chartSlot - 6,
			CompletedY: chartPlot - ch, CompletedH: ch,
			FailedY: chartPlot - ch - fh, FailedH: fh,
			Title: fmt.Sprintf("%s–%s UTC: %s completed, %s failed", hour.Format("Jan 2, 15:04"),
				hour.Add(time.Hour).Format("15:04"), Thousands(completed[i]), Thousands(failed[i])),
		})
		tick := ChartTick{}
		if hour.Hour()%6 == 0 {
			tick.Label = hour.Format("15:04")
		}
		c.Ticks = append(c.Ticks, tick)
	}
	c.Summary = fmt.Sprintf("Runs finished per hour over the last 24 hours: %s completed and %s failed in all; "+
		"the busiest hour had %s.", Thousands(c.Completed), Thousands(c.Failed), Thousands(c.Max))
	return c
}

// scale maps n of top onto the plot's height, keeping any non-zero count at least 1 unit tall.
func scale(n, top int64) int {
	if n == 0 || top == 0 {
		return 0
	}
	h := int(n * chartPlot / top)
	if h < 1 {
		h = 1
	}
	return h
}

// Thousands writes n with thousands separators: 1,234,567.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
