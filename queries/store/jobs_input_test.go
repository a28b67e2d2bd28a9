package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// validInput decodes a job as a client would send it, so that every case starts from real JSON.
func validInput(t *testing.T, body string) JobInput {
	t.Helper()
	var in JobInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return in
}

// inputNow is a fixed moment for Valid: Saturday 29 March 2025, noon UTC, the day before Berlin
// moves its clocks forward.
var inputNow = time.Date(2025, time.March, 29, 12, 0, 0, 0, time.UTC)

const pingPayload = `"type": "ping", "payload": {"url": "https://example.com/health"}`

func TestJobInputValidAccepts(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, s JobSpec)
	}{
		{
			name: "DefaultsAreFilledIn",
			body: `{` + pingPayload + `, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Timezone != "UTC" || s.MaxRetries != 3 || s.RetryDelay != 2*time.Second || s.Timeout != 30*time.Second {
					t.Errorf("defaults = %q, %d, %s, %s; want UTC, 3, 2s, 30s", s.Timezone, s.MaxRetries, s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "NullFieldsTakeTheirDefaults",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": null, "retry_delay": null, "timeout": null, "hour": null, "minute": null}`,
			check: func(t *testing.T, s JobSpec) {
				if s.MaxRetries != 3 || s.RetryDelay != 2*time.Second || s.Timeout != 30*time.Second {
					t.Errorf("got %d, %s, %s; want 3, 2s, 30s", s.MaxRetries, s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "DurationsAsNumbersAreSeconds",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": 90, "timeout": 1.5}`,
			check: func(t *testing.T, s JobSpec) {
				if s.RetryDelay != 90*time.Second || s.Timeout != 1500*time.Millisecond {
					t.Errorf("retry_delay, timeout = %s, %s; want 1m30s, 1.5s", s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "DurationsAsGoStrings",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "1m30s", "timeout": " 2m "}`,
			check: func(t *testing.T, s JobSpec) {
				if s.RetryDelay != 90*time.Second || s.Timeout != 2*time.Minute {
					t.Errorf("retry_delay, timeout = %s, %s; want 1m30s, 2m0s", s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "DurationsAsNumericStringsAreSeconds",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "45", "timeout": "2.5"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.RetryDelay != 45*time.Second || s.Timeout != 2500*time.Millisecond {
					t.Errorf("retry_delay, timeout = %s, %s; want 45s, 2.5s", s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "DurationBoundsAreInclusive",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "1h", "timeout": "5m"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.RetryDelay != time.Hour || s.Timeout != 5*time.Minute {
					t.Errorf("retry_delay, timeout = %s, %s; want 1h, 5m", s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "LowerDurationBoundsAreInclusive",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": 1, "timeout": "1s"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.RetryDelay != time.Second || s.Timeout != time.Second {
					t.Errorf("retry_delay, timeout = %s, %s; want 1s, 1s", s.RetryDelay, s.Timeout)
				}
			},
		},
		{
			name: "RetriesBoundsAreInclusive",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": 10}`,
			check: func(t *testing.T, s JobSpec) {
				if s.MaxRetries != 10 {
					t.Errorf("max_retries = %d, want 10", s.MaxRetries)
				}
			},
		},
		{
			name: "ZeroRetriesIsNotTheDefault",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": 0}`,
			check: func(t *testing.T, s JobSpec) {
				if s.MaxRetries != 0 {
					t.Errorf("max_retries = %d, want 0", s.MaxRetries)
				}
			},
		},
		{
			name: "RetriesAsNumericString",
			body: `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": "5"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.MaxRetries != 5 {
					t.Errorf("max_retries = %d, want 5", s.MaxRetries)
				}
			},
		},
		{
			name: "HourAndMinuteBecomeADailyCron",
			body: `{` + pingPayload + `, "hour": 7, "minute": 5}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Cron != "5 7 * * *" {
					t.Errorf("cron = %q, want %q", s.Cron, "5 7 * * *")
				}
			},
		},
		{
			name: "HourAndMinuteAsNumericStrings",
			body: `{` + pingPayload + `, "hour": "7", "minute": "05"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Cron != "5 7 * * *" {
					t.Errorf("cron = %q, want %q", s.Cron, "5 7 * * *")
				}
			},
		},
		{
			name: "HourAndMinuteBoundsAreInclusive",
			body: `{` + pingPayload + `, "hour": 23, "minute": 59}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Cron != "59 23 * * *" {
					t.Errorf("cron = %q, want %q", s.Cron, "59 23 * * *")
				}
			},
		},
		{
			name: "MidnightIsAnHourToo",
			body: `{` + pingPayload + `, "hour": 0, "minute": 0}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Cron != "0 0 * * *" {
					t.Errorf("cron = %q, want %q", s.Cron, "0 0 * * *")
				}
			},
		},
		{
			name: "CronWhitespaceIsNormalised",
			body: `{` + pingPayload + `, "cron": "  0   9 *  * 1-5 "}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Cron != "0 9 * * 1-5" {
					t.Errorf("cron = %q, want %q", s.Cron, "0 9 * * 1-5")
				}
			},
		},
		{
			name: "NextRunIsComputedInTheJobsTimeZone",
			// 09:30 in Berlin on 30 March 2025 is summer time (UTC+2), the day after winter time (UTC+1).
			body: `{` + pingPayload + `, "cron": "30 9 * * *", "timezone": "Europe/Berlin"}`,
			check: func(t *testing.T, s JobSpec) {
				want := time.Date(2025, time.March, 30, 7, 30, 0, 0, time.UTC)
				if s.NextRunAt == nil || !s.NextRunAt.Equal(want) {
					t.Fatalf("next run = %v, want %v", s.NextRunAt, want)
				}
				if s.NextRunAt.Location() != time.UTC {
					t.Errorf("next run is in %v, want UTC", s.NextRunAt.Location())
				}
				if s.Timezone != "Europe/Berlin" {
					t.Errorf("timezone = %q, want Europe/Berlin", s.Timezone)
				}
			},
		},
		{
			name: "NextRunIsLaterTodayWhenTheSlotIsStillAhead",
			body: `{` + pingPayload + `, "hour": 12, "minute": 1}`,
			check: func(t *testing.T, s JobSpec) {
				want := time.Date(2025, time.March, 29, 12, 1, 0, 0, time.UTC)
				if s.NextRunAt == nil || !s.NextRunAt.Equal(want) {
					t.Errorf("next run = %v, want %v", s.NextRunAt, want)
				}
			},
		},
		{
			name: "NextRunIsStrictlyAfterNow",
			body: `{` + pingPayload + `, "hour": 12, "minute": 0}`,
			check: func(t *testing.T, s JobSpec) {
				want := time.Date(2025, time.March, 30, 12, 0, 0, 0, time.UTC)
				if s.NextRunAt == nil || !s.NextRunAt.Equal(want) {
					t.Errorf("next run = %v, want %v", s.NextRunAt, want)
				}
			},
		},
		{
			name: "PingIsNamedAfterItsHost",
			body: `{"type": "ping", "payload": {"url": "https://status.example.com:8443/health?x=1"}, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Name != "Ping status.example.com:8443" {
					t.Errorf("name = %q, want %q", s.Name, "Ping status.example.com:8443")
				}
			},
		},
		{
			name: "WebhookIsNamedAfterItsHost",
			body: `{"type": "webhook", "payload": {"url": "https://hooks.example.com/x", "body": {}}, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Name != "Webhook to hooks.example.com" {
					t.Errorf("name = %q, want %q", s.Name, "Webhook to hooks.example.com")
				}
			},
		},
		{
			name: "SlackHasAGenericName",
			body: `{"type": "slack", "payload": {"webhook_url": "https://hooks.slack.com/services/T/B/X", "text": "hi"}, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Name != "Slack message" {
					t.Errorf("name = %q, want %q", s.Name, "Slack message")
				}
			},
		},
		{
			name: "EmailIsNamedAfterItsRecipients",
			body: `{"type": "email", "payload": {"to": ["Ann <ann@example.com>", "bob@example.com"], "subject": "s", "body": "b"}, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Name != "Email to ann@example.com, bob@example.com" {
					t.Errorf("name = %q, want %q", s.Name, "Email to ann@example.com, bob@example.com")
				}
			},
		},
		{
			name: "BlankNameIsDefaulted",
			body: `{"name": "   ", ` + pingPayload + `, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Name != "Ping example.com" {
					t.Errorf("name = %q, want %q", s.Name, "Ping example.com")
				}
			},
		},
		{
			name: "GivenNameIsTrimmedAndKept",
			body: `{"name": "  Nightly health check ", ` + pingPayload + `, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Name != "Nightly health check" {
					t.Errorf("name = %q, want %q", s.Name, "Nightly health check")
				}
			},
		},
		{
			name: "NameOfTwoHundredCharactersIsAccepted",
			body: `{"name": "` + strings.Repeat("n", 200) + `", ` + pingPayload + `, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if len(s.Name) != 200 {
					t.Errorf("name has %d characters, want 200", len(s.Name))
				}
			},
		},
		{
			name: "TypeAndTimeZoneAreTrimmed",
			body: `{"type": " ping ", "payload": {"url": "https://example.com"}, "cron": "0 9 * * *", "timezone": " Europe/Berlin "}`,
			check: func(t *testing.T, s JobSpec) {
				if s.Type != "ping" || s.Timezone != "Europe/Berlin" {
					t.Errorf("type, timezone = %q, %q; want ping, Europe/Berlin", s.Type, s.Timezone)
				}
			},
		},
		{
			name: "PayloadIsNormalised",
			// An unknown payload field ("extra") used to be dropped here; it is a problem now (issue 21).
			body: `{"type": "ping", "payload": {"url": "  https://example.com/health  "}, "cron": "0 9 * * *"}`,
			check: func(t *testing.T, s JobSpec) {
				if string(s.Payload) != `{"url":"https://example.com/health"}` {
					t.Errorf("payload = %s, want the trimmed URL", s.Payload)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec, problems := validInput(t, tc.body).Valid(inputNow)
			if len(problems) > 0 {
				t.Fatalf("problems = %v, want none", problems)
			}
			tc.check(t, spec)
		})
	}
}

func TestJobInputValidRejects(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		body  string
		field string
		// message is a part of the problem's text, when the text matters.
		message string
	}{
		{"AMisspeltAlertsFieldIsRefused", `{` + pingPayload + `, "cron": "0 9 * * *", "alerts": {"chanels": [1]}}`, "alerts.chanels", "is not a known field"},
		{"CronAndHourTogetherAreAmbiguous", `{` + pingPayload + `, "cron": "0 9 * * *", "hour": 9, "minute": 0}`, "cron", "either as cron, or as hour and minute"},
		{"CronAndMinuteTogetherAreAmbiguous", `{` + pingPayload + `, "cron": "0 9 * * *", "minute": 0}`, "cron", "either as cron, or as hour and minute"},
		{"NeitherCronNorHourIsRejected", `{` + pingPayload + `}`, "cron", "is required"},
		{"HourWithoutMinuteIsRejected", `{` + pingPayload + `, "hour": 9}`, "minute", "is required"},
		{"MinuteWithoutHourIsRejected", `{` + pingPayload + `, "minute": 9}`, "hour", "is required"},
		{"HourTwentyFourIsRejected", `{` + pingPayload + `, "hour": 24, "minute": 0}`, "hour", "0 to 23"},
		{"NegativeHourIsRejected", `{` + pingPayload + `, "hour": -1, "minute": 0}`, "hour", "0 to 23"},
		{"MinuteSixtyIsRejected", `{` + pingPayload + `, "hour": 9, "minute": 60}`, "minute", "0 to 59"},
		{"FractionalHourIsRejected", `{` + pingPayload + `, "hour": 7.5, "minute": 0}`, "hour", ""},
		{"NonNumericHourIsRejected", `{` + pingPayload + `, "hour": "seven", "minute": 0}`, "hour", ""},
		{"BooleanMinuteIsRejected", `{` + pingPayload + `, "hour": 7, "minute": true}`, "minute", ""},
		{"NeverMatchingCronIsRejected", `{` + pingPayload + `, "cron": "0 0 30 2 *"}`, "cron", "never matches"},
		{"MalformedCronIsRejected", `{` + pingPayload + `, "cron": "every day"}`, "cron", ""},
		{"SixtyMinutesCronIsRejected", `{` + pingPayload + `, "cron": "60 * * * *"}`, "cron", ""},
		{"CronWithItsOwnTimeZoneIsRejected", `{` + pingPayload + `, "cron": "CRON_TZ=Europe/Berlin 0 9 * * *"}`, "cron", ""},
		{"UnknownTimeZoneIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "timezone": "Mars/Olympus"}`, "timezone", ""},
		{"LocalTimeZoneIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "timezone": "Local"}`, "timezone", ""},
		{"MissingTypeIsRejected", `{"payload": {"url": "https://example.com"}, "cron": "0 9 * * *"}`, "type", "is required"},
		{"UnknownTypeIsRejected", `{"type": "sms", "payload": {"url": "https://example.com"}, "cron": "0 9 * * *"}`, "type", ""},
		{"MissingPayloadIsRejected", `{"type": "ping", "cron": "0 9 * * *"}`, "payload", ""},
		{"RetriesAboveTenAreRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": 11}`, "max_retries", "0 to 10"},
		{"NegativeRetriesAreRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": -1}`, "max_retries", ""},
		{"FractionalRetriesAreRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "max_retries": 2.5}`, "max_retries", ""},
		{"RetryDelayBelowOneSecondIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "999ms"}`, "retry_delay", ""},
		{"RetryDelayAboveAnHourIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "1h0m1s"}`, "retry_delay", ""},
		{"RetryDelayOfZeroSecondsIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": 0}`, "retry_delay", ""},
		{"NegativeRetryDelayIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "-5s"}`, "retry_delay", ""},
		{"RetryDelayThatIsNotADurationIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": "soon"}`, "retry_delay", ""},
		{"RetryDelayAsABooleanIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "retry_delay": true}`, "retry_delay", ""},
		{"TimeoutBelowOneSecondIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "timeout": 0.5}`, "timeout", ""},
		{"TimeoutAboveFiveMinutesIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "timeout": "5m1s"}`, "timeout", ""},
		{"TimeoutOfAnHourInSecondsIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "timeout": 3600}`, "timeout", ""},
		{"SubMillisecondTimeoutIsRejected", `{` + pingPayload + `, "cron": "0 9 * * *", "timeout": "1.0005"}`, "timeout", ""},
		{"NameOverTwoHundredCharactersIsRejected", `{"name": "` + strings.Repeat("n", 201) + `", ` + pingPayload + `, "cron": "0 9 * * *"}`, "name", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, problems := validInput(t, tc.body).Valid(inputNow)
			msg, ok := problems[tc.field]
			if !ok {
				t.Fatalf("problems = %v, want one on %q", problems, tc.field)
			}
			if !strings.Contains(msg, tc.message) {
				t.Errorf("problem on %q = %q, want it to mention %q", tc.field, msg, tc.message)
			}
			if len(problems) != 1 {
				t.Errorf("problems = %v, want only the one on %q", problems, tc.field)
			}
		})
	}
}

func TestJobInputValidReportsEveryProblem(t *testing.T) {
	t.Parallel()
	in := validInput(t, `{"type": "ping", "payload": {"url": "/relative"}, "hour": 24, "minute": 60,
		"timezone": "Nowhere/Special", "max_retries": 99, "retry_delay": "0s", "timeout": "1h"}`)
	spec, problems := in.Valid(inputNow)
	for _, field := range []string{"payload.url", "hour", "minute", "timezone", "max_retries", "retry_delay", "timeout"} {
		if _, ok := problems[field]; !ok {
			t.Errorf("no problem on %q; problems = %v", field, problems)
		}
	}
	if spec.Name != "" {
		t.Errorf("name = %q for an invalid job, want it left empty", spec.Name)
	}
}

func TestChainFieldsAreValidatedAndDefaulted(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	base := `"name": "J", "type": "ping", "payload": {"url": "https://example.com/{{params.region}}"}`
	valid := func(body string) (JobSpec, map[string]string) {
		var in JobInput
		if err := json.Unmarshal([]byte("{"+body+"}"), &in); err != nil {
			t.Fatal(err)
		}
		return in.Valid(now)
	}
	spec, problems := valid(base + `, "after": {"job_id": 5}, "params": {"region": "eu"}`)
	if len(problems) > 0 || spec.Cron != "" || spec.NextRunAt != nil || spec.AfterJobID == nil || *spec.AfterJobID != 5 ||
		spec.AfterOn != "success" || spec.Overlap != "allow" || spec.PauseAfterFailures != 0 || spec.AlertOn != nil {
		t.Errorf("spec %+v, problems %v", spec, problems)
	}
	if _, problems := valid(base + `, "cron": "@daily"`); problems["payload"] == "" {
		t.Errorf("a payload naming an undefined parameter passes: %v", problems)
	}
	if _, problems := valid(base + `, "cron": "@daily", "params": {"region": "eu"}, "overlap": "replace", "pause_after_failures": 1001`); problems["pause_after_failures"] == "" {
		t.Errorf("pause_after_failures 1001 passes: %v", problems)
	}
	params, problems := ParamOverrides([]byte(`{"region": "eu", "tier": "1"}`), json.RawMessage(`{"region": "us"}`))
	if len(problems) > 0 || params["region"] != "us" || params["tier"] != "1" {
		t.Errorf("overrides: %v, %v", params, problems)
	}
	if _, problems := ParamOverrides([]byte(`{"region": "eu"}`), json.RawMessage(`{"zone": "x"}`)); !strings.Contains(problems["params"], "zone") {
		t.Errorf("unknown override: %v", problems)
	}
}
