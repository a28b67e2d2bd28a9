package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
)

const pingJob = `{"name": "Health", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"}}`

func TestAPIJobCreate(t *testing.T) {
	t.Parallel()

	t.Run("PingGetsTheDefaults", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		before := time.Now()
		rec := f.sendJSON(http.MethodPost, "/api/jobs", pingJob)
		after := time.Now()
		var j apiJob
		f.expect(rec, http.StatusCreated, &j)

		if j.ID <= 0 || j.Name != "Health" || j.Type != "ping" || j.Cron != "*/5 * * * *" {
			t.Errorf("job = %+v", j)
		}
		if j.Timezone != "UTC" || j.MaxRetries != 3 || j.RetryDelay != "2s" || j.Timeout != "30s" || j.Paused {
			t.Errorf("defaults: timezone %q, max_retries %d, retry_delay %q, timeout %q, paused %v; want UTC, 3, 2s, 30s, false",
				j.Timezone, j.MaxRetries, j.RetryDelay, j.Timeout, j.Paused)
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
		f := setupAPI(t)
		var got map[string]json.RawMessage
		f.expect(f.sendJSON(http.MethodPost, "/api/jobs", pingJob), http.StatusCreated, &got)
		want := []string{"created_at", "cron", "id", "max_retries", "name", "next_run_at", "paused", "payload",
			"retry_delay", "timeout", "timezone", "type", "updated_at"}
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

	t.Run("RetriesAndDurationsAreKept", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
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
		f := setupAPI(t)
		j := f.createJob(`{"type": "email", "cron": "0 8 * * 1", "payload": {"to": ["Ann <ann@example.com>", "bob@example.com"],
			"subject": "Weekly report", "body": "Line 1\nLine 2"}}`)
		if j.Type != "email" {
			t.Errorf("type = %q, want email", j.Type)
		}
		f.checkPayload(j, `{"to": ["ann@example.com", "bob@example.com"], "subject": "Weekly report", "body": "Line 1\nLine 2"}`)
	})

	t.Run("EmailToOneAddressIsStoredAsAList", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		j := f.createJob(`{"type": "email", "cron": "0 8 * * 1", "payload": {"to": "ann@example.com", "subject": "Hi", "body": "Hello"}}`)
		f.checkPayload(j, `{"to": ["ann@example.com"], "subject": "Hi", "body": "Hello"}`)
	})

	t.Run("Slack", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		j := f.createJob(`{"type": "slack", "cron": "0 17 * * 5", "payload": {"webhook_url": "https://hooks.slack.com/services/T/B/X", "text": "Weekend!"}}`)
		if j.Type != "slack" || j.Name != "Slack message" {
			t.Errorf("type, name = %q, %q; want slack, Slack message", j.Type, j.Name)
		}
		f.checkPayload(j, `{"webhook_url": "https://hooks.slack.com/services/T/B/X", "text": "Weekend!"}`)
	})

	t.Run("WebhookWithAnObjectBody", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		j := f.createJob(`{"type": "webhook", "cron": "@hourly", "payload": {"url": "https://hooks.example.com/in",
			"body": {"event": "tick", "tags": ["a", "<b>"], "n": 1.5, "nested": {"ok": true}}}}`)
		f.checkPayload(j, `{"url": "https://hooks.example.com/in", "body": {"event": "tick", "tags": ["a", "<b>"], "n": 1.5, "nested": {"ok": true}}}`)
	})

	t.Run("HourAndMinuteAreStoredAsADailyCron", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
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
		f := setupAPI(t)
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
			f := setupAPI(t)
			var j apiJob
			f.expect(f.postForm("/api/create", tc.form), http.StatusCreated, &j)
			if j.Type != tc.wantType || j.Cron != "5 7 * * *" || j.Timezone != "UTC" || j.MaxRetries != 3 ||
				j.RetryDelay != "2s" || j.Timeout != "30s" {
				t.Errorf("job = %+v, want a %s job at 5 7 * * * with the defaults", j, tc.wantType)
			}
			f.checkPayload(j, tc.payload)
		})
	}

	t.Run("MultipartForm", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
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
		f.expect(f.do(http.MethodPost, "/api/create", w.FormDataContentType(), &body), http.StatusCreated, &j)
		if j.Cron != "59 23 * * *" {
			t.Errorf("cron = %q, want %q", j.Cron, "59 23 * * *")
		}
		f.checkPayload(j, `{"url": "https://example.com"}`)
	})

	t.Run("JSONIsAcceptedToo", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		var j apiJob
		rec := f.do(http.MethodPost, "/api/create", "application/json; charset=utf-8", strings.NewReader(
			`{"type": "email", "hour": 6, "minute": 0, "timezone": "Europe/Berlin", "payload": {"to": "ann@example.com", "subject": "s", "body": "b"}}`))
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
				f := setupAPI(t)
				before := f.jobCount()
				f.expectProblem(f.sendJSON(http.MethodPost, target, tc.body), tc.status, tc.field)
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
		f := setupAPI(t)
		before := f.jobCount()
		f.expectProblem(f.do(http.MethodPost, "/api/create", "application/x-www-form-urlencoded",
			strings.NewReader("type=ping&hour=%zz&minute=0")), http.StatusBadRequest, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d after the rejection, want %d", after, before)
		}
	})

	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setupAPI(t)
			before := f.jobCount()
			f.expectProblem(f.postForm("/api/create", tc.form), http.StatusUnprocessableEntity, tc.field)
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
			f := setupAPI(t)
			before := f.jobCount()
			f.expectProblem(f.sendJSON(http.MethodPost, target, overLimit), http.StatusRequestEntityTooLarge, "")
			if after := f.jobCount(); after != before {
				t.Errorf("jobs = %d after the rejection, want %d", after, before)
			}
		})
	}

	t.Run("FormOverOneMiBIsTooLarge", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		before := f.jobCount()
		form := url.Values{"hour": {"1"}, "minute": {"0"}, "type": {"slack"}, "url": {"https://hooks.slack.com/x"},
			"msg": {strings.Repeat("x", 1<<20)}}
		f.expectProblem(f.postForm("/api/create", form), http.StatusRequestEntityTooLarge, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d after the rejection, want %d", after, before)
		}
	})

	t.Run("UpdateOverOneMiBIsTooLarge", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		j := f.createJob(pingJob)
		f.expectProblem(f.sendJSON(http.MethodPut, fmt.Sprintf("/api/jobs/%d", j.ID), overLimit), http.StatusRequestEntityTooLarge, "")
		if s := f.storedJob(j.ID); s.Name != "Health" {
			t.Errorf("name = %q after the rejected update, want Health", s.Name)
		}
	})

	t.Run("StreamedJSONOverOneMiBIsTooLarge", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		before := f.jobCount()
		// No Content-Length, as with chunked transfer encoding: only the limited reader can stop it.
		req := f.request(http.MethodPost, "/api/jobs", "application/json", io.NopCloser(strings.NewReader(overLimit)))
		req.ContentLength = -1
		f.expectProblem(f.serve(req), http.StatusRequestEntityTooLarge, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d after the rejection, want %d", after, before)
		}
	})

	t.Run("BodyJustUnderOneMiBIsRead", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		body := `{"name": "` + strings.Repeat("x", 1<<20-200) + `", "type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}}`
		if len(body) > 1<<20 {
			t.Fatalf("body is %d bytes, want at most 1 MiB", len(body))
		}
		// The name is far too long, so the answer is 422; what matters is that the body was read.
		f.expectProblem(f.sendJSON(http.MethodPost, "/api/jobs", body), http.StatusUnprocessableEntity, "name")
	})
}

func TestAPIJobGetAndList(t *testing.T) {
	t.Parallel()

	t.Run("GetAnswersTheStoredJob", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		created := f.createJob(pingJob)
		var got apiJob
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/jobs/%d", created.ID), "", nil), http.StatusOK, &got)
		if got.ID != created.ID || got.Name != created.Name || got.Cron != created.Cron || !jsonEqual(t, got.Payload, string(created.Payload)) ||
			got.NextRunAt == nil || !got.NextRunAt.Equal(*created.NextRunAt) || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("GET = %+v, want %+v", got, created)
		}
	})

	t.Run("ListPagesThroughJobsByID", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		var ids []int64
		for i := range 5 {
			j := f.createJob(fmt.Sprintf(`{"name": "job %d", "type": "ping", "cron": "0 9 * * *", "payload": {"url": "https://example.com"}}`, i))
			ids = append(ids, j.ID)
		}
		type page struct {
			Jobs      []apiJob `json:"jobs"`
			NextAfter *int64   `json:"next_after"`
		}
		var got []int64
		after := ids[0] - 1
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatalf("more pages than expected; ids so far %v", got)
			}
			var p page
			f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/jobs?limit=2&after=%d", after), "", nil), http.StatusOK, &p)
			if len(p.Jobs) > 2 {
				t.Fatalf("page has %d jobs, want at most 2", len(p.Jobs))
			}
			for _, j := range p.Jobs {
				got = append(got, j.ID)
			}
			if p.NextAfter == nil {
				break
			}
			if *p.NextAfter != p.Jobs[len(p.Jobs)-1].ID {
				t.Errorf("next_after = %d, want the last id on the page, %d", *p.NextAfter, p.Jobs[len(p.Jobs)-1].ID)
			}
			after = *p.NextAfter
		}
		if !slices.Equal(got, ids) {
			t.Errorf("listed ids = %v, want %v", got, ids)
		}
	})

	t.Run("FullLastPageHasNoNextCursor", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		first := f.createJob(pingJob)
		f.createJob(pingJob)
		var p struct {
			Jobs      []apiJob        `json:"jobs"`
			NextAfter json.RawMessage `json:"next_after"`
		}
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/jobs?limit=2&after=%d", first.ID-1), "", nil), http.StatusOK, &p)
		if len(p.Jobs) != 2 || string(p.NextAfter) != "null" {
			t.Errorf("got %d jobs and next_after %s, want 2 and null", len(p.Jobs), p.NextAfter)
		}
	})

	t.Run("EmptyListIsAnEmptyArray", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		j := f.createJob(pingJob)
		rec := f.do(http.MethodGet, fmt.Sprintf("/api/jobs?after=%d", j.ID), "", nil)
		f.expect(rec, http.StatusOK, nil)
		if !jsonEqual(t, rec.Body.Bytes(), `{"jobs": [], "next_after": null}`) {
			t.Errorf("body = %s, want no jobs", rec.Body)
		}
	})

	for _, query := range []string{"limit=0", "limit=501", "limit=ten", "after=-1", "after=x"} {
		field, _, _ := strings.Cut(query, "=")
		t.Run("BadQueryIsRejected_"+query, func(t *testing.T) {
			t.Parallel()
			f := setupAPI(t)
			f.expectProblem(f.do(http.MethodGet, "/api/jobs?"+query, "", nil), http.StatusUnprocessableEntity, field)
		})
	}
}

// TestAPIUnknownIDIsNotFound checks every route that takes an id, with an id that is not there and
// with one that is not a number.
func TestAPIUnknownIDIsNotFound(t *testing.T) {
	t.Parallel()

	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/api/jobs/%s", ""},
		{http.MethodPut, "/api/jobs/%s", pingJob},
		{http.MethodDelete, "/api/jobs/%s", ""},
		{http.MethodPost, "/api/jobs/%s/run", ""},
		{http.MethodPost, "/api/jobs/%s/pause", ""},
		{http.MethodPost, "/api/jobs/%s/resume", ""},
		{http.MethodGet, "/api/runs/%s", ""},
	}
	for _, r := range routes {
		for _, id := range []string{"999999999", "abc", "0", "-1"} {
			t.Run(r.method+strings.ReplaceAll(fmt.Sprintf(r.path, id), "/", "_"), func(t *testing.T) {
				t.Parallel()
				f := setupAPI(t)
				before := f.jobCount()
				f.expectProblem(f.sendJSON(r.method, fmt.Sprintf(r.path, id), r.body), http.StatusNotFound, "")
				if after := f.jobCount(); after != before {
					t.Errorf("jobs = %d, want %d", after, before)
				}
				if msgs := f.pub.published(); len(msgs) != 0 {
					t.Errorf("published %v, want nothing", msgs)
				}
			})
		}
	}
}

func TestAPIJobUpdate(t *testing.T) {
	t.Parallel()

	t.Run("UpdateReplacesTheJob", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		created := f.createJob(pingJob)
		var got apiJob
		rec := f.sendJSON(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), `{"name": "Report", "type": "email",
			"hour": 6, "minute": 30, "timezone": "America/New_York", "max_retries": 5, "retry_delay": "10s", "timeout": "1m",
			"payload": {"to": "ann@example.com", "subject": "Report", "body": "Attached"}}`)
		f.expect(rec, http.StatusOK, &got)
		if got.ID != created.ID || got.Name != "Report" || got.Type != "email" || got.Cron != "30 6 * * *" ||
			got.Timezone != "America/New_York" || got.MaxRetries != 5 || got.RetryDelay != "10s" || got.Timeout != "1m0s" {
			t.Errorf("updated job = %+v", got)
		}
		f.checkPayload(got, `{"to": ["ann@example.com"], "subject": "Report", "body": "Attached"}`)
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		if n := got.NextRunAt; n == nil || n.In(ny).Hour() != 6 || n.In(ny).Minute() != 30 || !n.After(time.Now()) {
			t.Errorf("next_run_at = %v, want the next 06:30 in New York", n)
		}
		if !got.UpdatedAt.After(created.UpdatedAt) || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("created_at, updated_at = %v, %v; want %v and later than %v", got.CreatedAt, got.UpdatedAt, created.CreatedAt, created.UpdatedAt)
		}
		s := f.storedJob(created.ID)
		if s.Name != "Report" || s.Type != "email" || s.Cron != "30 6 * * *" || s.Timezone != "America/New_York" ||
			s.MaxRetries != 5 || s.RetryDelayMs != 10000 || s.TimeoutMs != 60000 || s.NextRunAt == nil || !s.NextRunAt.Equal(*got.NextRunAt) {
			t.Errorf("stored job = %+v", s)
		}
		if n := f.jobCount(); n != 1 {
			t.Errorf("jobs = %d, want 1: an update must not add a job", n)
		}
	})

	t.Run("InvalidUpdateLeavesTheJobUnchanged", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		created := f.createJob(pingJob)
		before := f.storedJob(created.ID)
		f.expectProblem(f.sendJSON(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID),
			`{"name": "Broken", "type": "ping", "hour": 24, "minute": 0, "payload": {"url": "https://example.com"}}`),
			http.StatusUnprocessableEntity, "hour")
		after := f.storedJob(created.ID)
		if !jobsEqual(before, after) {
			t.Errorf("job changed by a rejected update:\nbefore %+v\nafter  %+v", before, after)
		}
	})

	t.Run("UpdateOfAnUnknownIDIsNotFoundWhateverTheBody", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		before := f.jobCount()
		f.expectProblem(f.sendJSON(http.MethodPut, "/api/jobs/999999999", `{"type": "ping", "hour": 24}`), http.StatusNotFound, "")
		if after := f.jobCount(); after != before {
			t.Errorf("jobs = %d, want %d", after, before)
		}
	})

	t.Run("UpdateThatIsNotJSONLeavesTheJobUnchanged", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		created := f.createJob(pingJob)
		before := f.storedJob(created.ID)
		f.expectProblem(f.sendJSON(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), `name=Broken`), http.StatusBadRequest, "")
		if after := f.storedJob(created.ID); !jobsEqual(before, after) {
			t.Errorf("job changed by a rejected update:\nbefore %+v\nafter  %+v", before, after)
		}
	})

	t.Run("UpdateOfAPausedJobKeepsItPaused", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		created := f.createJob(pingJob)
		f.expect(f.do(http.MethodPost, fmt.Sprintf("/api/jobs/%d/pause", created.ID), "", nil), http.StatusOK, nil)
		var got apiJob
		f.expect(f.sendJSON(http.MethodPut, fmt.Sprintf("/api/jobs/%d", created.ID), pingJob), http.StatusOK, &got)
		if !got.Paused || got.NextRunAt != nil {
			t.Errorf("paused, next_run_at = %v, %v; want true, null", got.Paused, got.NextRunAt)
		}
	})
}

func jobsEqual(a, b sqlcgen.Job) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Type == b.Type && bytes.Equal(a.Payload, b.Payload) && a.Cron == b.Cron &&
		a.Timezone == b.Timezone && a.MaxRetries == b.MaxRetries && a.RetryDelayMs == b.RetryDelayMs &&
		a.TimeoutMs == b.TimeoutMs && a.Paused == b.Paused && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		(a.NextRunAt == nil) == (b.NextRunAt == nil) && (a.NextRunAt == nil || a.NextRunAt.Equal(*b.NextRunAt))
}

func TestAPIJobDelete(t *testing.T) {
	t.Parallel()
	f := setupAPI(t)
	ctx := context.Background()
	doomed := f.createJob(pingJob)
	kept := f.createJob(pingJob)
	doomedRuns := []sqlcgen.Run{f.insertRun(doomed.ID), f.insertRun(doomed.ID)}
	keptRun := f.insertRun(kept.ID)

	rec := f.do(http.MethodDelete, fmt.Sprintf("/api/jobs/%d", doomed.ID), "", nil)
	f.expect(rec, http.StatusNoContent, nil)
	if rec.Body.Len() != 0 {
		t.Errorf("204 with a body: %s", rec.Body)
	}
	if _, err := f.q.JobGet(ctx, doomed.ID); !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("get deleted job: err = %v, want no rows", err)
	}
	for _, r := range doomedRuns {
		if _, err := f.q.RunGet(ctx, r.ID); !errors.Is(err, pgx.ErrNoRows) {
			t.Errorf("get run %d of the deleted job: err = %v, want no rows", r.ID, err)
		}
	}
	f.expectProblem(f.do(http.MethodGet, fmt.Sprintf("/api/jobs/%d", doomed.ID), "", nil), http.StatusNotFound, "")
	f.expectProblem(f.do(http.MethodGet, fmt.Sprintf("/api/runs/%d", doomedRuns[0].ID), "", nil), http.StatusNotFound, "")
	f.expectProblem(f.do(http.MethodDelete, fmt.Sprintf("/api/jobs/%d", doomed.ID), "", nil), http.StatusNotFound, "")

	f.storedJob(kept.ID)
	if _, err := f.q.RunGet(ctx, keptRun.ID); err != nil {
		t.Errorf("the other job's run is gone: %v", err)
	}
}

func TestAPIJobPauseAndResume(t *testing.T) {
	t.Parallel()
	f := setupAPI(t)
	j := f.createJob(pingJob)
	path := fmt.Sprintf("/api/jobs/%d", j.ID)

	var raw map[string]json.RawMessage
	f.expect(f.do(http.MethodPost, path+"/pause", "", nil), http.StatusOK, &raw)
	if string(raw["paused"]) != "true" || string(raw["next_run_at"]) != "null" {
		t.Errorf("after pause: paused %s, next_run_at %s; want true, null", raw["paused"], raw["next_run_at"])
	}
	if !f.storedJob(j.ID).Paused {
		t.Error("stored job is not paused")
	}
	var got apiJob
	f.expect(f.do(http.MethodGet, path, "", nil), http.StatusOK, &got)
	if !got.Paused || got.NextRunAt != nil {
		t.Errorf("GET after pause: paused %v, next_run_at %v; want true, null", got.Paused, got.NextRunAt)
	}

	// Pausing twice is harmless.
	f.expect(f.do(http.MethodPost, path+"/pause", "", nil), http.StatusOK, &got)
	if !got.Paused {
		t.Error("second pause unpaused the job")
	}

	before := time.Now()
	f.expect(f.do(http.MethodPost, path+"/resume", "", nil), http.StatusOK, &got)
	after := time.Now()
	if got.Paused || got.NextRunAt == nil || !got.NextRunAt.After(before) || got.NextRunAt.After(after.Add(5*time.Minute)) ||
		got.NextRunAt.Minute()%5 != 0 || got.NextRunAt.Second() != 0 {
		t.Errorf("after resume: paused %v, next_run_at %v; want false and the next 5-minute mark after %v", got.Paused, got.NextRunAt, before)
	}
	if s := f.storedJob(j.ID); s.Paused || s.NextRunAt == nil || !s.NextRunAt.Equal(*got.NextRunAt) {
		t.Errorf("stored after resume: paused %v, next_run_at %v", s.Paused, s.NextRunAt)
	}
}

func TestAPIJobRunNow(t *testing.T) {
	t.Parallel()
	f := setupAPI(t)
	j := f.createJob(pingJob)

	before := time.Now()
	rec := f.do(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", j.ID), "", nil)
	var run apiRun
	f.expect(rec, http.StatusAccepted, &run)
	if run.ID <= 0 || run.JobID != j.ID || run.Status != "queued" || run.Trigger != "manual" || run.Attempts != 0 {
		t.Errorf("run = %+v, want a queued manual run of job %d", run, j.ID)
	}
	if run.ScheduledAt.Before(before.Add(-time.Minute)) || run.ScheduledAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("scheduled_at = %v, want about now", run.ScheduledAt)
	}
	want := []worker.RunMessage{{RunID: run.ID, JobID: j.ID}}
	if got := f.pub.published(); !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	stored, err := f.q.RunGet(context.Background(), run.ID)
	if err != nil {
		t.Fatalf("get run: %v", err)
	}
	if stored.JobID != j.ID || stored.Status != "queued" || stored.Trigger != "manual" {
		t.Errorf("stored run = %+v", stored)
	}

	// A paused job can still be run by hand.
	f.expect(f.do(http.MethodPost, fmt.Sprintf("/api/jobs/%d/pause", j.ID), "", nil), http.StatusOK, nil)
	var second apiRun
	f.expect(f.do(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", j.ID), "", nil), http.StatusAccepted, &second)
	if second.ID == run.ID || len(f.pub.published()) != 2 {
		t.Errorf("second run %d, published %v; want a new run published", second.ID, f.pub.published())
	}
}

func TestAPIRuns(t *testing.T) {
	t.Parallel()

	// setupRuns makes job a with five runs, the oldest completed and the second failed, and job b with
	// two queued runs.
	setupRuns := func(t *testing.T) (f *apiFixture, a, b apiJob, aRuns, bRuns []int64) {
		f = setupAPI(t)
		a, b = f.createJob(pingJob), f.createJob(pingJob)
		for range 5 {
			aRuns = append(aRuns, f.insertRun(a.ID).ID)
		}
		for range 2 {
			bRuns = append(bRuns, f.insertRun(b.ID).ID)
		}
		claimAndFinish(t, f.q, aRuns[0], "completed")
		claimAndFinish(t, f.q, aRuns[1], "failed")
		return f, a, b, aRuns, bRuns
	}
	type page struct {
		Runs       []apiRun `json:"runs"`
		NextBefore *int64   `json:"next_before"`
	}
	ids := func(p page) []int64 {
		var out []int64
		for _, r := range p.Runs {
			out = append(out, r.ID)
		}
		return out
	}

	t.Run("ListIsNewestFirstForOneJob", func(t *testing.T) {
		t.Parallel()
		f, a, _, aRuns, _ := setupRuns(t)
		var p page
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d", a.ID), "", nil), http.StatusOK, &p)
		want := slices.Clone(aRuns)
		slices.Reverse(want)
		if got := ids(p); !slices.Equal(got, want) || p.NextBefore != nil {
			t.Errorf("runs = %v, next_before %v; want %v, null", got, p.NextBefore, want)
		}
		for _, r := range p.Runs {
			if r.JobID != a.ID {
				t.Errorf("run %d belongs to job %d, want %d", r.ID, r.JobID, a.ID)
			}
		}
	})

	t.Run("ListWithoutFiltersHasEveryRun", func(t *testing.T) {
		t.Parallel()
		f, _, _, aRuns, bRuns := setupRuns(t)
		var p page
		f.expect(f.do(http.MethodGet, "/api/runs", "", nil), http.StatusOK, &p)
		got := ids(p)
		for _, id := range append(slices.Clone(aRuns), bRuns...) {
			if !slices.Contains(got, id) {
				t.Errorf("run %d missing from %v", id, got)
			}
		}
		if !slices.IsSortedFunc(got, func(x, y int64) int { return int(y - x) }) {
			t.Errorf("runs %v are not newest first", got)
		}
	})

	t.Run("ListByStatus", func(t *testing.T) {
		t.Parallel()
		f, a, b, aRuns, bRuns := setupRuns(t)
		var p page
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=completed", a.ID), "", nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, aRuns[:1]) || p.Runs[0].Status != "completed" {
			t.Errorf("completed runs of a = %v, want %v", got, aRuns[:1])
		}
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=failed", a.ID), "", nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, aRuns[1:2]) {
			t.Errorf("failed runs of a = %v, want %v", got, aRuns[1:2])
		}
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=queued", b.ID), "", nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, []int64{bRuns[1], bRuns[0]}) {
			t.Errorf("queued runs of b = %v, want %v", got, []int64{bRuns[1], bRuns[0]})
		}
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&status=running", b.ID), "", nil), http.StatusOK, &p)
		if len(p.Runs) != 0 {
			t.Errorf("running runs of b = %v, want none", ids(p))
		}
		f.expect(f.do(http.MethodGet, "/api/runs?status=completed", "", nil), http.StatusOK, &p)
		for _, r := range p.Runs {
			if r.Status != "completed" {
				t.Errorf("run %d is %s in a list of completed runs", r.ID, r.Status)
			}
		}
	})

	t.Run("ListPagesBackwards", func(t *testing.T) {
		t.Parallel()
		f, a, _, aRuns, _ := setupRuns(t)
		var p page
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=2", a.ID), "", nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, []int64{aRuns[4], aRuns[3]}) || p.NextBefore == nil || *p.NextBefore != aRuns[3] {
			t.Fatalf("page 1 = %v, next_before %v; want [%d %d], %d", got, p.NextBefore, aRuns[4], aRuns[3], aRuns[3])
		}
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=2&before=%d", a.ID, *p.NextBefore), "", nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, []int64{aRuns[2], aRuns[1]}) || p.NextBefore == nil || *p.NextBefore != aRuns[1] {
			t.Fatalf("page 2 = %v, next_before %v; want [%d %d], %d", got, p.NextBefore, aRuns[2], aRuns[1], aRuns[1])
		}
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=2&before=%d", a.ID, *p.NextBefore), "", nil), http.StatusOK, &p)
		if got := ids(p); !slices.Equal(got, aRuns[:1]) || p.NextBefore != nil {
			t.Errorf("page 3 = %v, next_before %v; want %v, null", got, p.NextBefore, aRuns[:1])
		}
		// A page that is exactly full has no next page.
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs?job_id=%d&limit=5", a.ID), "", nil), http.StatusOK, &p)
		if len(p.Runs) != 5 || p.NextBefore != nil {
			t.Errorf("limit 5 of 5: %d runs, next_before %v; want 5, null", len(p.Runs), p.NextBefore)
		}
	})

	t.Run("GetAnswersTheRun", func(t *testing.T) {
		t.Parallel()
		f, a, _, aRuns, _ := setupRuns(t)
		var r apiRun
		f.expect(f.do(http.MethodGet, fmt.Sprintf("/api/runs/%d", aRuns[0]), "", nil), http.StatusOK, &r)
		if r.ID != aRuns[0] || r.JobID != a.ID || r.Status != "completed" || r.Trigger != "manual" || r.Attempts != 1 {
			t.Errorf("run = %+v, want run %d of job %d, completed after one attempt", r, aRuns[0], a.ID)
		}
	})

	for _, query := range []string{"status=done", "job_id=x", "job_id=0", "limit=0", "limit=501", "before=x", "before=-5"} {
		field, _, _ := strings.Cut(query, "=")
		t.Run("BadQueryIsRejected_"+query, func(t *testing.T) {
			t.Parallel()
			f := setupAPI(t)
			f.expectProblem(f.do(http.MethodGet, "/api/runs?"+query, "", nil), http.StatusUnprocessableEntity, field)
		})
	}
}

// claimAndFinish takes a queued run through one attempt to the given status.
func claimAndFinish(t *testing.T, q *sqlcgen.Queries, runID int64, status string) {
	t.Helper()
	ctx := context.Background()
	claim, err := q.RunClaim(ctx, sqlcgen.RunClaimParams{ID: runID, LeaseMarginMs: 60000})
	if err != nil {
		t.Fatalf("claim run %d: %v", runID, err)
	}
	var n int64
	switch status {
	case "running":
		return
	case "completed":
		n, err = q.RunComplete(ctx, sqlcgen.RunCompleteParams{ID: runID, Attempt: claim.Attempts, Output: "ok"})
	case "failed":
		_, err = q.RunFail(ctx, sqlcgen.RunFailParams{ID: runID, Attempt: claim.Attempts, Error: "boom", RetryDelayMs: 2000})
		n = 1
	case "permanently_failed":
		n, err = q.RunFailPermanently(ctx, sqlcgen.RunFailPermanentlyParams{ID: runID, Attempt: claim.Attempts, Error: "boom"})
	default:
		t.Fatalf("unknown status %q", status)
	}
	if err != nil || n != 1 {
		t.Fatalf("finish run %d as %s: %d rows, %v", runID, status, n, err)
	}
}

func TestAPIStats(t *testing.T) {
	t.Parallel()
	f := setupAPI(t)
	type stats struct {
		Jobs int64            `json:"jobs"`
		Runs map[string]int64 `json:"runs"`
	}
	statuses := []string{"queued", "running", "completed", "failed", "permanently_failed"}

	var before stats
	f.expect(f.do(http.MethodGet, "/api/stats", "", nil), http.StatusOK, &before)
	for _, s := range statuses {
		if _, ok := before.Runs[s]; !ok {
			t.Errorf("runs has no %q count: %v", s, before.Runs)
		}
	}
	if len(before.Runs) != len(statuses) {
		t.Errorf("runs = %v, want exactly %v", before.Runs, statuses)
	}

	a, b := f.createJob(pingJob), f.createJob(pingJob)
	f.createJob(pingJob)
	// Job a: 1 queued, 1 running, 2 completed; job b: 3 failed, 1 permanently failed.
	f.insertRun(a.ID)
	claimAndFinish(t, f.q, f.insertRun(a.ID).ID, "running")
	for range 2 {
		claimAndFinish(t, f.q, f.insertRun(a.ID).ID, "completed")
	}
	for range 3 {
		claimAndFinish(t, f.q, f.insertRun(b.ID).ID, "failed")
	}
	claimAndFinish(t, f.q, f.insertRun(b.ID).ID, "permanently_failed")

	var after stats
	f.expect(f.do(http.MethodGet, "/api/stats", "", nil), http.StatusOK, &after)
	if after.Jobs-before.Jobs != 3 {
		t.Errorf("jobs went from %d to %d, want 3 more", before.Jobs, after.Jobs)
	}
	want := map[string]int64{"queued": 1, "running": 1, "completed": 2, "failed": 3, "permanently_failed": 1}
	for _, s := range statuses {
		if d := after.Runs[s] - before.Runs[s]; d != want[s] {
			t.Errorf("%s runs went from %d to %d, want %d more", s, before.Runs[s], after.Runs[s], want[s])
		}
	}
}

func TestAPIHealth(t *testing.T) {
	t.Parallel()

	t.Run("HealthzIsOK", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		f.setReady(map[string]string{"postgres": "down"}) // Liveness does not depend on readiness.
		var body map[string]string
		f.expect(f.do(http.MethodGet, "/healthz", "", nil), http.StatusOK, &body)
		if body["status"] != "ok" {
			t.Errorf("body = %v", body)
		}
	})

	t.Run("ReadyzIsOKWhenNothingIsWrong", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		var body map[string]any
		f.expect(f.do(http.MethodGet, "/readyz", "", nil), http.StatusOK, &body)
		f.setReady(map[string]string{})
		f.expect(f.do(http.MethodGet, "/readyz", "", nil), http.StatusOK, &body)
	})

	t.Run("ReadyzListsTheProblems", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		problems := map[string]string{"rabbitmq": "connection refused", "postgres": "timeout"}
		f.setReady(problems)
		var body struct {
			Problems map[string]string `json:"problems"`
		}
		f.expect(f.do(http.MethodGet, "/readyz", "", nil), http.StatusServiceUnavailable, &body)
		if len(body.Problems) != 2 || body.Problems["rabbitmq"] != "connection refused" || body.Problems["postgres"] != "timeout" {
			t.Errorf("problems = %v, want %v", body.Problems, problems)
		}
		f.setReady(nil)
		f.expect(f.do(http.MethodGet, "/readyz", "", nil), http.StatusOK, &body)
	})
}

func TestAPIErrorHandler(t *testing.T) {
	t.Parallel()

	t.Run("PageNotFoundIsNotJSON", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		rec := f.do(http.MethodGet, "/no/such/page", "", nil)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); strings.Contains(ct, "json") {
			t.Errorf("Content-Type = %q, want not JSON", ct)
		}
		if json.Valid(rec.Body.Bytes()) {
			t.Errorf("body is JSON: %s", rec.Body)
		}
	})

	t.Run("PageNotFoundIsJSONForAJSONClient", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		req := f.request(http.MethodGet, "/no/such/page", "", nil)
		req.Header.Set("Accept", "application/json")
		f.expectProblem(f.serve(req), http.StatusNotFound, "")
	})

	t.Run("UnknownAPIPathIsJSON", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		f.expectProblem(f.do(http.MethodGet, "/api/no-such-thing", "", nil), http.StatusNotFound, "")
	})

	t.Run("WrongMethodIsJSON", func(t *testing.T) {
		t.Parallel()
		f := setupAPI(t)
		f.expectProblem(f.do(http.MethodPatch, "/api/jobs/1", "", nil), http.StatusMethodNotAllowed, "")
	})
}
