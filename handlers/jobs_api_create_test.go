package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const pingJob = `{"name": "Health", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"}}`

func TestAPIJobCreate(t *testing.T) {
	t.Parallel()

	t.Run("PingGetsTheDefaults", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		before := time.Now()
		rec := f.send(http.MethodPost, "/api/jobs", jsonBody(pingJob), "Content-Type", "application/json")
		after := time.Now()
		var j apiJob
		f.expect(rec, http.StatusCreated, &j)

		if j.ID <= 0 || j.Name != "Health" || j.Type != "ping" || j.Cron != "*/5 * * * *" {
			t.Errorf("job = %+v", j)
		}
		if j.Timezone != "UTC" || j.MaxRetries != 3 || j.RetryDelay != "2s" || j.Timeout != "30s" || j.Paused || j.Catchup != "latest" {
			t.Errorf("defaults: timezone %q, max_retries %d, retry_delay %q, timeout %q, paused %v, catchup %q; want UTC, 3, 2s, 30s, false, latest",
				j.Timezone, j.MaxRetries, j.RetryDelay, j.Timeout, j.Paused, j.Catchup)
		}
		if j.CreatedAt.IsZero() || j.UpdatedAt.IsZero() {
			t.Errorf("created_at, updated_at = %v, %v; want both set", j.CreatedAt, j.UpdatedAt)
		}
		if j.NextRunAt == nil || !j.NextRunAt.After(before) || j.NextRunAt.After(after.Add(5*time.Minute)) ||
			j.NextRunAt.Minute()%5 != 0 || j.NextRunAt.Second() != 0 {
			t.Errorf("next_run_at = %v, want the next 5-minute mark after %v", j.NextRunAt, before)
		}
		if loc := rec.Header().Get("Location"); loc != fmt.Sprintf("/api/jobs/%d", j.ID) {
			t.Errorf("Location = %q, want /api/jobs/%d", loc, j.ID)
		}
		f.checkPayload(j, `{"url": "https://example.com/health"}`)

		stored := f.storedJob(j.ID)
		if stored.Name != "Health" || stored.Cron != "*/5 * * * *" || stored.Timezone != "UTC" || stored.MaxRetries != 3 ||
			stored.RetryDelayMs != 2000 || stored.TimeoutMs != 30000 || stored.Paused {
			t.Errorf("stored job = %+v", stored)
		}
		if stored.NextRunAt == nil || !stored.NextRunAt.Equal(*j.NextRunAt) {
			t.Errorf("stored next_run_at = %v, answered %v", stored.NextRunAt, j.NextRunAt)
		}
	})

	t.Run("JobHasExactlyTheContractsFields", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var got map[string]json.RawMessage
		f.expect(f.send(http.MethodPost, "/api/jobs", jsonBody(pingJob), "Content-Type", "application/json"), http.StatusCreated, &got)
		want := []string{"after", "alerts", "blackouts", "catchup", "created_at", "cron", "description", "end_at", "id", "jitter",
			"max_retries", "name", "next_run_at", "overlap", "params", "pause_after_failures", "paused", "paused_reason",
			"payload", "retry_backoff", "retry_delay", "retry_on", "start_at", "tags", "timeout", "timezone", "type",
			"updated_at"}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(keys, want) {
			t.Errorf("job fields = %v, want %v", keys, want)
		}
	})

	t.Run("TheCatchupPolicyIsKept", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		for _, c := range []string{"all", "none", "latest"} {
			j := f.createJob(`{"type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}, "catchup": "` + c + `"}`)
			if s := f.storedJob(j.ID); j.Catchup != c || string(s.Catchup) != c {
				t.Errorf("catchup %q: answered %q, stored %q", c, j.Catchup, s.Catchup)
			}
		}
	})

	t.Run("RetriesAndDurationsAreKept", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(`{"type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"},
			"max_retries": 0, "retry_delay": "1m30s", "timeout": 45}`)
		if j.MaxRetries != 0 || j.RetryDelay != "1m30s" || j.Timeout != "45s" {
			t.Errorf("max_retries, retry_delay, timeout = %d, %q, %q; want 0, 1m30s, 45s", j.MaxRetries, j.RetryDelay, j.Timeout)
		}
		if s := f.storedJob(j.ID); s.MaxRetries != 0 || s.RetryDelayMs != 90000 || s.TimeoutMs != 45000 {
			t.Errorf("stored = %d, %d ms, %d ms; want 0, 90000, 45000", s.MaxRetries, s.RetryDelayMs, s.TimeoutMs)
		}
		if j.Name != "Ping example.com" {
			t.Errorf("name = %q, want the default %q", j.Name, "Ping example.com")
		}
	})

	t.Run("EmailToAListIsStoredAsBareAddresses", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(`{"type": "email", "cron": "0 8 * * 1", "payload": {"to": ["Ann <ann@example.com>", "bob@example.com"],
			"subject": "Weekly report", "body": "Line 1\nLine 2"}}`)
		if j.Type != "email" {
			t.Errorf("type = %q, want email", j.Type)
		}
		f.checkPayload(j, `{"to": ["ann@example.com", "bob@example.com"], "subject": "Weekly report", "body": "Line 1\nLine 2"}`)
	})

	t.Run("EmailToOneAddressIsStoredAsAList", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(`{"type": "email", "cron": "0 8 * * 1", "payload": {"to": "ann@example.com", "subject": "Hi", "body": "Hello"}}`)
		f.checkPayload(j, `{"to": ["ann@example.com"], "subject": "Hi", "body": "Hello"}`)
	})

	t.Run("Slack", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(`{"type": "slack", "cron": "0 17 * * 5", "payload": {"webhook_url": "https://hooks.slack.com/services/T/B/X", "text": "Weekend!"}}`)
		if j.Type != "slack" || j.Name != "Slack message" {
			t.Errorf("type, name = %q, %q; want slack, Slack message", j.Type, j.Name)
		}
		f.checkPayload(j, `{"webhook_url": "https://hooks.slack.com/services/T/B/X", "text": "Weekend!"}`)
	})

	t.Run("WebhookWithAnObjectBody", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(`{"type": "webhook", "cron": "@hourly", "payload": {"url": "https://hooks.example.com/in",
			"body": {"event": "tick", "tags": ["a", "<b>"], "n": 1.5, "nested": {"ok": true}}}}`)
		f.checkPayload(j, `{"url": "https://hooks.example.com/in", "body": {"event": "tick", "tags": ["a", "<b>"], "n": 1.5, "nested": {"ok": true}}}`)
	})

	t.Run("HourAndMinuteAreStoredAsADailyCron", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(`{"type": "ping", "hour": 7, "minute": 5, "payload": {"url": "https://example.com"}}`)
		if j.Cron != "5 7 * * *" {
			t.Errorf("cron = %q, want %q", j.Cron, "5 7 * * *")
		}
		if s := f.storedJob(j.ID); s.Cron != "5 7 * * *" {
			t.Errorf("stored cron = %q, want %q", s.Cron, "5 7 * * *")
		}
		if n := j.NextRunAt; n == nil || n.UTC().Hour() != 7 || n.UTC().Minute() != 5 {
			t.Errorf("next_run_at = %v, want 07:05 UTC", n)
		}
	})

	t.Run("NextRunIsComputedInTheJobsTimeZone", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		j := f.createJob(`{"type": "ping", "cron": "30 9 * * *", "timezone": "Europe/Berlin", "payload": {"url": "https://example.com"}}`)
		after := time.Now()
		if j.Timezone != "Europe/Berlin" {
			t.Errorf("timezone = %q, want Europe/Berlin", j.Timezone)
		}
		next930 := func(now time.Time) time.Time {
			now = now.In(berlin)
			c := time.Date(now.Year(), now.Month(), now.Day(), 9, 30, 0, 0, berlin)
			if !c.After(now) {
				c = time.Date(now.Year(), now.Month(), now.Day()+1, 9, 30, 0, 0, berlin)
			}
			return c
		}
		if j.NextRunAt == nil || !(j.NextRunAt.Equal(next930(before)) || j.NextRunAt.Equal(next930(after))) {
			t.Errorf("next_run_at = %v, want %v (09:30 in Berlin)", j.NextRunAt, next930(before).UTC())
		}
		if s := f.storedJob(j.ID); s.Timezone != "Europe/Berlin" || s.NextRunAt == nil || !s.NextRunAt.Equal(next930(before)) && !s.NextRunAt.Equal(next930(after)) {
			t.Errorf("stored timezone, next_run_at = %q, %v", s.Timezone, s.NextRunAt)
		}
	})
}

func TestAPILegacyCreate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		form     url.Values
		wantType string
		payload  string
	}{
		{
			name:     "FormPing",
			form:     url.Values{"hour": {"7"}, "minute": {"5"}, "type": {"ping"}, "url": {"https://example.com/health"}},
			wantType: "ping",
			payload:  `{"url": "https://example.com/health"}`,
		},
		{
			name: "FormEmailToOneAddressIsStoredAsAList",
			form: url.Values{"hour": {"7"}, "minute": {"5"}, "type": {"email"}, "email": {"ann@example.com"},
				"subject": {"Daily"}, "body": {"Good morning"}},
			wantType: "email",
			payload:  `{"to": ["ann@example.com"], "subject": "Daily", "body": "Good morning"}`,
		},
		{
			name: "FormSlack",
			form: url.Values{"hour": {"7"}, "minute": {"5"}, "type": {"slack"}, "url": {"https://hooks.slack.com/services/T/B/X"},
				"msg": {"Stand-up in 5"}},
			wantType: "slack",
			payload:  `{"webhook_url": "https://hooks.slack.com/services/T/B/X", "text": "Stand-up in 5"}`,
		},
		{
			name: "FormWebhookWithAJSONBodyString",
			form: url.Values{"hour": {"7"}, "minute": {"5"}, "type": {"webhook"}, "url": {"https://hooks.example.com/in"},
				"body": {`{"event": "tick", "n": [1, 2]}`}},
			wantType: "webhook",
			payload:  `{"url": "https://hooks.example.com/in", "body": {"event": "tick", "n": [1, 2]}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			var j apiJob
			f.expect(f.send(http.MethodPost, "/api/create", formBody(tc.form)), http.StatusCreated, &j)
			if j.Type != tc.wantType || j.Cron != "5 7 * * *" || j.Timezone != "UTC" || j.MaxRetries != 3 ||
				j.RetryDelay != "2s" || j.Timeout != "30s" {
				t.Errorf("job = %+v, want a %s job at 5 7 * * * with the defaults", j, tc.wantType)
			}
			f.checkPayload(j, tc.payload)
		})
	}

	t.Run("MultipartForm", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k, v := range map[string]string{"hour": "23", "minute": "59", "type": "ping", "url": "https://example.com"} {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var j apiJob
		f.expect(f.send(http.MethodPost, "/api/create", &body, "Content-Type", w.FormDataContentType()), http.StatusCreated, &j)
		if j.Cron != "59 23 * * *" {
			t.Errorf("cron = %q, want %q", j.Cron, "59 23 * * *")
		}
		f.checkPayload(j, `{"url": "https://example.com"}`)
	})

	t.Run("JSONIsAcceptedToo", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var j apiJob
		rec := f.send(http.MethodPost, "/api/create", strings.NewReader(
			`{"type": "email", "hour": 6, "minute": 0, "timezone": "Europe/Berlin", "payload": {"to": "ann@example.com", "subject": "s", "body": "b"}}`), "Content-Type", "application/json; charset=utf-8")
		f.expect(rec, http.StatusCreated, &j)
		if j.Cron != "0 6 * * *" || j.Timezone != "Europe/Berlin" {
			t.Errorf("cron, timezone = %q, %q; want 0 6 * * *, Europe/Berlin", j.Cron, j.Timezone)
		}
		f.checkPayload(j, `{"to": ["ann@example.com"], "subject": "s", "body": "b"}`)
	})
}

// TestAPIRejectsInvalidJobs sends every kind of bad job to every endpoint that takes one, and checks
// that the answer names the field and that nothing was stored.
func TestAPIRejectsInvalidJobs(t *testing.T) {
	t.Parallel()

	const urlPayload = `"payload": {"url": "https://example.com"}`
	jsonCases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"BodyThatIsNotJSONIsABadRequest", `{"type": "ping",`, http.StatusBadRequest, ""},
		{"EmptyBodyIsABadRequest", ``, http.StatusBadRequest, ""},
		{"ArrayBodyIsABadRequest", `[1, 2]`, http.StatusBadRequest, ""},
		{"EmptyObjectIsRejected", `{}`, http.StatusUnprocessableEntity, "cron"},
		{"BadCronIsRejected", `{"type": "ping", "cron": "61 * * * *", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "cron"},
		{"NeverMatchingCronIsRejected", `{"type": "ping", "cron": "0 0 30 2 *", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "cron"},
		{"CronAndHourTogetherAreRejected", `{"type": "ping", "cron": "0 9 * * *", "hour": 9, "minute": 0, ` + urlPayload + `}`, http.StatusUnprocessableEntity, "cron"},
		{"HourTwentyFourIsRejected", `{"type": "ping", "hour": 24, "minute": 0, ` + urlPayload + `}`, http.StatusUnprocessableEntity, "hour"},
		{"MinuteSixtyIsRejected", `{"type": "ping", "hour": 9, "minute": 60, ` + urlPayload + `}`, http.StatusUnprocessableEntity, "minute"},
		{"UnknownTypeIsRejected", `{"type": "sms", "cron": "0 9 * * *", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "type"},
		{"MissingTypeIsRejected", `{"cron": "0 9 * * *", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "type"},
		{"MissingPayloadIsRejected", `{"type": "ping", "cron": "0 9 * * *"}`, http.StatusUnprocessableEntity, "payload"},
		{"MissingURLIsRejected", `{"type": "ping", "cron": "0 9 * * *", "payload": {}}`, http.StatusUnprocessableEntity, "payload.url"},
		{"RelativeURLIsRejected", `{"type": "ping", "cron": "0 9 * * *", "payload": {"url": "/health"}}`, http.StatusUnprocessableEntity, "payload.url"},
		{"NonHTTPURLIsRejected", `{"type": "webhook", "cron": "0 9 * * *", "payload": {"url": "ftp://example.com/x", "body": {}}}`, http.StatusUnprocessableEntity, "payload.url"},
		{"SlackWithoutWebhookURLIsRejected", `{"type": "slack", "cron": "0 9 * * *", "payload": {"text": "hi"}}`, http.StatusUnprocessableEntity, "payload.webhook_url"},
		{"SlackWithoutTextIsRejected", `{"type": "slack", "cron": "0 9 * * *", "payload": {"webhook_url": "https://hooks.slack.com/x"}}`, http.StatusUnprocessableEntity, "payload.text"},
		{"WebhookWithoutBodyIsRejected", `{"type": "webhook", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}}`, http.StatusUnprocessableEntity, "payload.body"},
		{"MalformedAddressIsRejected", `{"type": "email", "cron": "0 9 * * *", "payload": {"to": ["ann@example.com", "not an address"], "subject": "s", "body": "b"}}`, http.StatusUnprocessableEntity, "payload.to"},
		{"MissingAddressIsRejected", `{"type": "email", "cron": "0 9 * * *", "payload": {"subject": "s", "body": "b"}}`, http.StatusUnprocessableEntity, "payload.to"},
		{"MultiLineSubjectIsRejected", `{"type": "email", "cron": "0 9 * * *", "payload": {"to": "a@example.com", "subject": "a\nBcc: x@example.com", "body": "b"}}`, http.StatusUnprocessableEntity, "payload.subject"},
		{"UnknownTimeZoneIsRejected", `{"type": "ping", "cron": "0 9 * * *", "timezone": "Europe/Atlantis", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "timezone"},
		{"UnknownCatchupIsRejected", `{"type": "ping", "cron": "0 9 * * *", "catchup": "sometimes", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "catchup"},
		{"RetriesAboveTenAreRejected", `{"type": "ping", "cron": "0 9 * * *", "max_retries": 11, ` + urlPayload + `}`, http.StatusUnprocessableEntity, "max_retries"},
		{"NegativeRetriesAreRejected", `{"type": "ping", "cron": "0 9 * * *", "max_retries": -1, ` + urlPayload + `}`, http.StatusUnprocessableEntity, "max_retries"},
		{"RetriesOfTheWrongTypeAreRejectedOnTheirField", `{"type": "ping", "cron": "0 9 * * *", "max_retries": [3], ` + urlPayload + `}`, http.StatusUnprocessableEntity, "max_retries"},
		{"RetryDelayBelowOneSecondIsRejected", `{"type": "ping", "cron": "0 9 * * *", "retry_delay": "500ms", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "retry_delay"},
		{"RetryDelayAboveAnHourIsRejected", `{"type": "ping", "cron": "0 9 * * *", "retry_delay": 3601, ` + urlPayload + `}`, http.StatusUnprocessableEntity, "retry_delay"},
		{"TimeoutBelowOneSecondIsRejected", `{"type": "ping", "cron": "0 9 * * *", "timeout": "0s", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "timeout"},
		{"TimeoutAboveFiveMinutesIsRejected", `{"type": "ping", "cron": "0 9 * * *", "timeout": "6m", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "timeout"},
		{"NameOverTwoHundredCharactersIsRejected", `{"name": "` + strings.Repeat("x", 201) + `", "type": "ping", "cron": "0 9 * * *", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "name"},
		{"NameWithANulCharacterIsRejected", `{"name": "a\u0000b", "type": "ping", "cron": "0 9 * * *", ` + urlPayload + `}`, http.StatusUnprocessableEntity, "name"},
		{"PayloadWithANulCharacterIsRejected", `{"type": "slack", "cron": "0 9 * * *", "payload": {"webhook_url": "https://hooks.slack.com/x", "text": "a\u0000b"}}`, http.StatusUnprocessableEntity, "payload"},
	}
	for _, tc := range jsonCases {
		for _, target := range []string{"/api/jobs", "/api/create"} {
			t.Run(tc.name+"At"+strings.ReplaceAll(target, "/", "_"), func(t *testing.T) {
				t.Parallel()
				f := setup(t)
				before := f.jobCount()
				f.expectProblem(f.send(http.MethodPost, target, jsonBody(tc.body), "Content-Type", "application/json"), tc.status, tc.field)
				if after := f.jobCount(); after != before {
					t.Errorf("jobs = %d after the rejection, want %d", after, before)
				}
			})
		}
	}

	formCases := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"FormHourTwentyFourIsRejected", url.Values{"hour": {"24"}, "minute": {"0"}, "type": {"ping"}, "url": {"https://example.com"}}, "hour"},
		{"FormMinuteSixtyIsRejected", url.Values{"hour": {"1"}, "minute": {"60"}, "type": {"ping"}, "url": {"https://example.com"}}, "minute"},
		{"FormNonNumericHourIsRejected", url.Values{"hour": {"seven"}, "minute": {"0"}, "type": {"ping"}, "url": {"https://example.com"}}, "hour"},
		{"FormWithoutTimeIsRejected", url.Values{"type": {"ping"}, "url": {"https://example.com"}}, "cron"},
		{"FormUnknownTypeIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"sms"}, "url": {"https://example.com"}}, "type"},
		{"FormMissingURLIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"ping"}}, "payload.url"},
		{"FormRelativeURLIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"slack"}, "url": {"hooks/x"}, "msg": {"hi"}}, "payload.webhook_url"},
		{"FormMalformedAddressIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"email"}, "email": {"ann at example"}, "subject": {"s"}, "body": {"b"}}, "payload.to"},
		{"FormWebhookBodyThatIsNotJSONIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"webhook"}, "url": {"https://example.com"}, "body": {"event=tick"}}, "payload.body"},
		{"FormWebhookWithoutBodyIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"webhook"}, "url": {"https://example.com"}}, "payload.body"},
		{"FormUnknownTimeZoneIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"ping"}, "url": {"https://example.com"}, "timezone": {"Nowhere"}}, "timezone"},
		{"FormRetriesAboveTenAreRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"ping"}, "url": {"https://example.com"}, "max_retries": {"11"}}, "max_retries"},
		{"FormTimeoutAboveFiveMinutesIsRejected", url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"ping"}, "url": {"https://example.com"}, "timeout": {"10m"}}, "timeout"},
	}

	t.Run("FormThatCannotBeParsedIsABadRequest", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		before := f.jobCount()
		f.expectProblem(f.send(http.MethodPost, "/api/create", strings.NewReader("type=ping&hour=%zz&minute=0"), "Content-Type", "application/x-www-form-urlencoded"), http.StatusBadRequest, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d after the rejection, want %d", after, before)
		}
	})

	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			before := f.jobCount()
			f.expectProblem(f.send(http.MethodPost, "/api/create", formBody(tc.form)), http.StatusUnprocessableEntity, tc.field)
			if after := f.jobCount(); after != before {
				t.Errorf("jobs = %d after the rejection, want %d", after, before)
			}
		})
	}
}

func TestAPIBodyLimit(t *testing.T) {
	t.Parallel()

	overLimit := `{"name": "` + strings.Repeat("x", 1<<20) + `", "type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}}`

	for _, target := range []string{"/api/jobs", "/api/create"} {
		t.Run("JSONOverOneMiBIsTooLargeAt"+strings.ReplaceAll(target, "/", "_"), func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			before := f.jobCount()
			f.expectProblem(f.send(http.MethodPost, target, jsonBody(overLimit), "Content-Type", "application/json"), http.StatusRequestEntityTooLarge, "")
			if after := f.jobCount(); after != before {
				t.Errorf("jobs = %d after the rejection, want %d", after, before)
			}
		})
	}

	t.Run("FormOverOneMiBIsTooLarge", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		before := f.jobCount()
		form := url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"slack"}, "url": {"https://hooks.slack.com/x"},
			"msg": {strings.Repeat("x", 1<<20)}}
		f.expectProblem(f.send(http.MethodPost, "/api/create", formBody(form)), http.StatusRequestEntityTooLarge, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d after the rejection, want %d", after, before)
		}
	})

	t.Run("UpdateOverOneMiBIsTooLarge", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(pingJob)
		f.expectProblem(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", j.ID), jsonBody(overLimit), "Content-Type", "application/json"), http.StatusRequestEntityTooLarge, "")
		if s := f.storedJob(j.ID); s.Name != "Health" {
			t.Errorf("name = %q after the rejected update, want Health", s.Name)
		}
	})

	t.Run("StreamedJSONOverOneMiBIsTooLarge", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		before := f.jobCount()
		// No Content-Length, as with chunked transfer encoding: only the limited reader can stop it.
		req := httptest.NewRequest(http.MethodPost, "/api/jobs", io.NopCloser(strings.NewReader(overLimit)))
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		f.server.ServeHTTP(rec, req)
		f.expectProblem(rec, http.StatusRequestEntityTooLarge, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d after the rejection, want %d", after, before)
		}
	})

	t.Run("BodyJustUnderOneMiBIsRead", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		body := `{"name": "` + strings.Repeat("x", 1<<20-200) + `", "type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}}`
		if len(body) > 1<<20 {
			t.Fatalf("body is %d bytes, want at most 1 MiB", len(body))
		}
		// The name is far too long, so the answer is 422; what matters is that the body was read.
		f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), "Content-Type", "application/json"), http.StatusUnprocessableEntity, "name")
	})
}
