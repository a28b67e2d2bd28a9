package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// maxErrorSearch is the longest error search the runs page takes; longer text is cut to it.
const maxErrorSearch = 200

// runsSearch is the runs page's date range and error search (GET /runs?from=&to=&error=). Dates are
// whole days in UTC, the zone every exact time on the page is written in; to includes its day.
type runsSearch struct {
	from, to     string
	fromAt, toAt *time.Time
	errorText    string
	tag          string // issue 27: the runs of jobs with this tag
}

// readRunsSearch reads the date range and the error search. A date that is not one is dropped, with
// a note that names the field, rather than failing the page (like the other filters).
func readRunsSearch(c echo.Context) (runsSearch, []string) {
	var s runsSearch
	var notes []string
	day := func(field, label string) (string, *time.Time) {
		v := strings.TrimSpace(c.QueryParam(field))
		if v == "" {
			return "", nil
		}
		t, err := time.ParseInLocation(time.DateOnly, v, time.UTC)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: “%s” is not a date like 2026-03-28, so it was left out.", label, v))
			return "", nil
		}
		return v, &t
	}
	s.from, s.fromAt = day("from", "From")
	s.to, s.toAt = day("to", "To")
	if s.toAt != nil {
		end := s.toAt.AddDate(0, 0, 1)
		s.toAt = &end
	}
	if s.fromAt != nil && s.toAt != nil && !s.fromAt.Before(*s.toAt) {
		notes = append(notes, fmt.Sprintf("To: %s is before From (%s), so no run can match.", s.to, s.from))
	}
	if tag, note := pageTag(c); note != "" {
		notes = append(notes, note)
	} else {
		s.tag = tag
	}
	s.errorText = strings.TrimSpace(c.QueryParam("error"))
	if r := []rune(s.errorText); len(r) > maxErrorSearch {
		s.errorText = string(r[:maxErrorSearch])
	}
	return s, notes
}

// active reports whether the search narrows the runs, so that the page needs the search query.
func (s runsSearch) active() bool {
	return s.fromAt != nil || s.toAt != nil || s.errorText != "" || s.tag != ""
}

// errorLike is the error search as an ILIKE pattern matching it anywhere, its wildcards escaped.
func (s runsSearch) errorLike() *string {
	if s.errorText == "" {
		return nil
	}
	p := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s.errorText) + "%"
	return &p
}

// params are the search's URL parameters, "" where unset.
func (s runsSearch) params() url.Values {
	return url.Values{"from": {s.from}, "to": {s.to}, "error": {s.errorText}, "tag": {s.tag}}
}

// searchRuns reads a page of runs with the search and the job and status filters (jobID 0 or status
// "" for none).
func searchRuns(ctx context.Context, q *sqlcgen.Queries, jobID int64, status runstatus.Status, s runsSearch, cur cursor) ([]sqlcgen.RunListRow, error) {
	var job *int64
	if jobID != 0 {
		job = &jobID
	}
	var st *string
	if status != "" {
		v := status.String()
		st = &v
	}
	limit := int32(runsPageSize + 1)
	if cur.after > 0 {
		return q.RunPageSearchAfter(ctx, sqlcgen.RunPageSearchAfterParams{AfterID: cur.after, JobID: job, Status: st,
			FromAt: s.fromAt, ToAt: s.toAt, ErrorLike: s.errorLike(), Tag: nonEmpty(s.tag), MaxRows: limit})
	}
	return q.RunPageSearchBefore(ctx, sqlcgen.RunPageSearchBeforeParams{BeforeID: cur.beforeID(), JobID: job, Status: st,
		FromAt: s.fromAt, ToAt: s.toAt, ErrorLike: s.errorLike(), Tag: nonEmpty(s.tag), MaxRows: limit})
}

// tabCountCap is where a status tab stops counting, and says "10,000+" instead.
const tabCountCap = 10000

// statusTabs are the runs page's tabs: every run, then one per status in the order a run goes
// through them, each with how many runs the other filters leave, and a link that keeps those filters.
func statusTabs(ctx context.Context, q *sqlcgen.Queries, jobID int64, current runstatus.Status, s runsSearch, params url.Values) ([]views.StatusTab, error) {
	var job *int64
	if jobID != 0 {
		job = &jobID
	}
	statuses := make([]string, 0, len(runstatus.All()))
	for _, st := range runstatus.All() {
		statuses = append(statuses, st.String())
	}
	counts, err := q.RunCountByStatusCapped(ctx, sqlcgen.RunCountByStatusCappedParams{JobID: job,
		FromAt: s.fromAt, ToAt: s.toAt, ErrorLike: s.errorLike(), Tag: nonEmpty(s.tag), MaxCount: tabCountCap + 1, Statuses: statuses})
	if err != nil {
		return nil, fmt.Errorf("count runs by status: %w", err)
	}
	n := map[runstatus.Status]int64{}
	var total int64
	var capped bool
	for _, c := range counts {
		st := runstatus.Status(c.Status)
		n[st] = min(c.Runs, tabCountCap)
		capped = capped || c.Runs > tabCountCap
		total += n[st]
	}
	link := func(st runstatus.Status) string {
		v := clean(params)
		v.Del("status")
		if st != "" {
			v.Set("status", st.String())
		}
		if enc := v.Encode(); enc != "" {
			return "/runs?" + enc
		}
		return "/runs"
	}
	tabs := []views.StatusTab{{Label: "All", Count: total, AtLeast: capped, URL: link(""), Current: current == ""}}
	for _, st := range runstatus.All() {
		tabs = append(tabs, views.StatusTab{Value: st.String(), Label: st.Label(), Count: n[st],
			AtLeast: n[st] == tabCountCap, URL: link(st), Current: current == st})
	}
	return tabs, nil
}
