package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/worker/runstatus"
)

func TestStripGivesEveryKindOfRunItsOwnMarkAndTitle(t *testing.T) {
	t.Parallel()
	marks := []StripMark{
		{Status: runstatus.Completed}, {Status: runstatus.Completed},
		{Status: runstatus.Completed, Retried: true},
		{Status: runstatus.Missed}, {Status: runstatus.Skipped}, {Status: runstatus.Cancelled},
		{Status: runstatus.PermanentlyFailed},
	}
	doc := parse(t, Strip(marks))
	strip := byTestID(t, doc, "job-strip")
	var classes, titles []string
	strip.Find("i").Each(func(_ int, s *goquery.Selection) {
		classes = append(classes, s.AttrOr("class", ""))
		titles = append(titles, s.AttrOr("title", ""))
	})
	if got := strings.Join(classes, ","); got != "c w2,k,m,s,x,p" {
		t.Errorf("marks = %s, want completed after retries (k) and cancelled (x) apart from completed (c)", got)
	}
	if got := strings.Join(titles, ","); got != "2 completed,1 completed after retries,1 missed,1 skipped,1 cancelled,1 failed for good" {
		t.Errorf("titles = %s", got)
	}
	want := "Last 7 runs: 2 completed, 1 completed after retries, 1 failed for good, 1 missed, 1 skipped, 1 cancelled"
	if got := strip.AttrOr("aria-label", ""); got != want {
		t.Errorf("label = %q, want %q", got, want)
	}
	legend := byTestID(t, parse(t, StripLegend()), "strip-legend")
	for _, name := range []string{"completed after retries", "missed", "skipped", "cancelled", "failed for good"} {
		if !strings.Contains(legend.Text(), name) {
			t.Errorf("the legend does not name %q", name)
		}
	}
}

func TestErrorWordsTranslateTransportErrorsWithoutResolvedAddresses(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"GET http://127.0.0.1:9399/hook: connection refused": "GET http://127.0.0.1:9399/hook: nothing listens on 127.0.0.1:9399",
		"POST http://localhost/x: connection refused":        "POST http://localhost/x: nothing listens on localhost:80",
		"dial tcp 10.0.0.7:80: connect: connection refused":  "nothing listens at the target's address",
		"send email: context deadline exceeded":              "send email: no answer in time",
		"HTTP 503 Service Unavailable, expected 2xx":         "HTTP 503 Service Unavailable, expected 2xx",
	} {
		if got := ErrorWords(in); got != want {
			t.Errorf("ErrorWords(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(ErrorWords(in), "10.0.0.7") {
			t.Errorf("ErrorWords(%q) names the resolved address", in)
		}
	}
}
