package views

import (
	"strings"
	"testing"
	"time"
)

func TestDurationsAreWrittenAsPeopleSayThem(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Second:             "1 second",
		2 * time.Second:         "2 seconds",
		90 * time.Second:        "1 minute 30 seconds",
		5 * time.Minute:         "5 minutes",
		time.Hour:               "1 hour",
		time.Hour + time.Second: "1 hour 1 second",
		1500 * time.Millisecond: "1 second 500 ms",
		250 * time.Millisecond:  "250 ms",
	} {
		if got := DurationWords(d); got != want {
			t.Errorf("DurationWords(%s) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		2 * time.Second: "2s", 90 * time.Second: "1m30s", 2 * time.Minute: "2m", time.Hour: "1h",
		time.Hour + 30*time.Minute: "1h30m", 1500 * time.Millisecond: "1.5s",
	} {
		got := DurationInput(d)
		if got != want {
			t.Errorf("DurationInput(%s) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("DurationInput(%s) = %q reads back as %s (%v)", d, got, back, err)
		}
	}
}

func TestAttemptsAreCountedInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		attempts, retries int32
		want              string
	}{{1, 0, "1 attempt"}, {2, 1, "2 attempts (1 retry)"}, {4, 3, "4 attempts (3 retries)"}, {0, 0, "0 attempts"}} {
		if got := attemptsText(tc.attempts, tc.retries); got != tc.want {
			t.Errorf("attemptsText(%d, %d) = %q, want %q", tc.attempts, tc.retries, got, tc.want)
		}
	}
}

func TestTheSummaryOfProblemsFollowsTheFormAndLinksToEachField(t *testing.T) {
	t.Parallel()
	f := JobForm{
		Values: JobFormValues{Type: "email", Mode: "advanced"},
		Errors: map[string]string{
			"timeout": "must be a duration", "payload.body": "is required", "cron": "has 4 parts",
			"payload.to": "need at least one address", "payload": "must be a JSON object",
		},
	}
	got := f.Problems()
	want := []Problem{
		{"payload", "field-type", "The task's settings must be a JSON object."},
		{"payload.to", "field-payload-to", "The recipients need at least one address."},
		{"payload.body", "field-payload-body", "The message is required."},
		{"cron", "field-cron", "The schedule has 4 parts."}, // what before when (issue 27)
		{"timeout", "field-timeout", "The timeout must be a duration."},
	}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	f.Values.Type = "webhook"
	if got := f.problem("payload.body"); got != "The JSON body is required." {
		t.Errorf("a webhook's body problem reads %q", got)
	}
	if got := problemCount(1) + " / " + problemCount(3); got != "Fix this problem / Fix these 3 problems" {
		t.Errorf("counts read %q", got)
	}
}

func TestSubMinuteTimesShowTheirSeconds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 7, 58, 10, 0, time.UTC)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if got := ShortExactSeconds(at, berlin); got != "Wed 2 Dec 2026, 08:58:10 Europe/Berlin" {
		t.Errorf("ShortExactSeconds = %q", got)
	}
}

func TestPreviewsAreTheStartOfTheFirstLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 150)
	for in, want := range map[string]string{
		"HTTP 503\nbody":  "HTTP 503 …",
		"  one line  ":    "one line",
		long:              strings.Repeat("é", 100) + " …",
		long + "\nsecond": strings.Repeat("é", 100) + " …",
	} {
		if got := firstLine(in); got != want {
			t.Errorf("firstLine(%.20q…) = %.30q…, want %.30q…", in, got, want)
		}
	}
}
