package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/retrypolicy"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
)

// JobInput is a job as a client sends it: the body of POST /api/jobs and PUT /api/jobs/{id}, an
// entry of an import document, or the job form mapped onto it. The
// numeric and duration fields are kept raw so that a wrong type is reported on its field instead of
// failing the whole body.
type JobInput struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Cron       string          `json:"cron"`
	Hour       json.RawMessage `json:"hour"`
	Minute     json.RawMessage `json:"minute"`
	Timezone   string          `json:"timezone"`
	Payload    json.RawMessage `json:"payload"`
	MaxRetries json.RawMessage `json:"max_retries"`
	RetryDelay json.RawMessage `json:"retry_delay"`
	Timeout    json.RawMessage `json:"timeout"`
	// RetryOn and RetryBackoff are the retry policy (see worker/retrypolicy).
	RetryOn      string          `json:"retry_on"`
	RetryBackoff string          `json:"retry_backoff"`
	Catchup      string          `json:"catchup"`
	Alerts       json.RawMessage `json:"alerts"`
	// issue 21, jitter and windows: a duration, RFC 3339 times or null, and {"from", "to"} ranges.
	Jitter    json.RawMessage `json:"jitter"`
	StartAt   json.RawMessage `json:"start_at"`
	EndAt     json.RawMessage `json:"end_at"`
	Blackouts json.RawMessage `json:"blackouts"`
	// overlap, after, params, pause_after_failures (issue 21, sched-b); alerts.on is read from Alerts.
	Overlap            string          `json:"overlap"`
	After              json.RawMessage `json:"after"`
	Params             json.RawMessage `json:"params"`
	PauseAfterFailures json.RawMessage `json:"pause_after_failures"`
	// Tags and Description organise jobs (issue 27); either left out is kept as it is by an edit.
	Tags        json.RawMessage `json:"tags"`
	Description json.RawMessage `json:"description"`
}

// JobSpec is a validated job, ready to store.
type JobSpec struct {
	Name, Type, Cron, Timezone string
	Payload                    json.RawMessage
	MaxRetries                 int32
	RetryDelay, Timeout        time.Duration
	Catchup                    schedule.Catchup
	NextRunAt                  *time.Time
	RetryOn, RetryBackoff      string
	// SecretRefs are the secrets the payload names, by the payload field that names them.
	SecretRefs map[string][]string
	// AlertChannels and AlertAfter are nil and not valid when the input gave no alerts.
	AlertChannels []int64
	AlertAfter    pgtype.Int4
	// issue 21, jitter and windows: StartAt and EndAt are in UTC, nil for none.
	Jitter         time.Duration
	StartAt, EndAt *time.Time
	Blackouts      []Blackout
	// overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b). AfterJobID is
	// nil for a job that runs on its cron only; AlertOn is nil when the input gave no alerts.on.
	Overlap            string
	AfterJobID         *int64
	AfterOn            string
	Params             map[string]string
	PauseAfterFailures int32
	AlertOn            []string
	// Alert rules (issue 22): reminders and flapping damping, in milliseconds, 0 off; nil when the
	// input gave no alerts.
	AlertRepeatMs, AlertFlapWindowMs *int64
	// Paused stores a new job paused: the form's "Start paused", and every clone (issue 27).
	Paused bool
	// Tags and Description (issue 27) are nil when the input left them out.
	Tags        []string
	Description *string
}

// Limits on what a job may ask for. Every text is bounded here, so that an oversize one is a 422
// naming its field, never left to the database to refuse, nor parsed at length.
const (
	maxCronLength     = 200
	maxTimezoneLength = 64
	maxPayloadBytes   = 64 << 10
	maxRetriesLimit   = 10
	minRetryDelay     = time.Second
	maxRetryDelay     = time.Hour
	minTimeout        = time.Second
	maxTimeout        = 5 * time.Minute
)

// Valid checks the input and returns the job to store, or the problems by field name. now is the
// moment from which the first run is computed.
func (in JobInput) Valid(now time.Time) (JobSpec, map[string]string) {
	problems := map[string]string{}
	spec := JobSpec{
		Name:     strings.TrimSpace(in.Name),
		Type:     strings.TrimSpace(in.Type),
		Timezone: strings.TrimSpace(in.Timezone),
	}
	if spec.Timezone == "" {
		spec.Timezone = "UTC"
	}
	if len(spec.Name) > 200 {
		problems["name"] = "must be at most 200 characters"
	} else if strings.ContainsRune(spec.Name, 0) {
		problems["name"] = "must not contain NUL characters"
	}

	in.validChain(&spec, problems)
	in.validWindow(&spec, problems)
	in.validSchedule(&spec, problems, now)
	in.validPayload(&spec, problems)

	retries, _ := intField(problems, "max_retries", orDefault(in.MaxRetries, "3"), 0, maxRetriesLimit)
	spec.MaxRetries = int32(retries)
	spec.RetryDelay = durationField(problems, "retry_delay", orDefault(in.RetryDelay, `"2s"`), minRetryDelay, maxRetryDelay)
	spec.Timeout = durationField(problems, "timeout", orDefault(in.Timeout, `"30s"`), minTimeout, maxTimeout)
	spec.RetryOn = choiceField(problems, "retry_on", in.RetryOn, retrypolicy.OnTransient, retrypolicy.OnAny)
	spec.RetryBackoff = choiceField(problems, "retry_backoff", in.RetryBackoff, retrypolicy.BackoffFixed, retrypolicy.BackoffExponential)
	spec.SecretRefs = task.SecretRefs(spec.Payload)
	catchups := make([]string, 0, len(schedule.Catchups()))
	for _, c := range schedule.Catchups() {
		catchups = append(catchups, string(c))
	}
	spec.Catchup = schedule.Catchup(choiceField(problems, "catchup", in.Catchup, catchups...))
	spec.AlertChannels, spec.AlertAfter = readAlerts(in.Alerts, problems)
	unknownKeys(in.Alerts, "alerts", problems, "channels", "after", "on", "repeat", "flap_window")
	spec.AlertRepeatMs, spec.AlertFlapWindowMs = readAlertRules(in.Alerts, problems) // alert rules (issue 22)
	spec.Tags, spec.Description = readTags(in.Tags, problems), readDescription(in.Description, problems)

	if spec.Name == "" && len(problems) == 0 {
		spec.Name = defaultName(spec)
	}
	return spec, problems
}

// validChain checks what issue 21 added besides the schedule: overlap, after, params,
// pause_after_failures and the events the alerts name.
func (in JobInput) validChain(spec *JobSpec, problems map[string]string) {
	if after := readAfter(in.After, problems); after != nil {
		spec.AfterJobID, spec.AfterOn = &after.JobID, after.On
	}
	spec.Overlap = choiceField(problems, "overlap", in.Overlap, Overlaps...)
	spec.Params = readParams(in.Params, problems)
	pauseAfter, _ := intField(problems, "pause_after_failures", orDefault(in.PauseAfterFailures, defaultPauseAfterFails), 0, maxPauseAfterFailures)
	spec.PauseAfterFailures = int32(pauseAfter)
	spec.AlertOn = readAlertsOn(in.Alerts, problems)
}

// validPayload checks the task type and its payload, and that the payload's templates name only
// the job's params.
func (in JobInput) validPayload(spec *JobSpec, problems map[string]string) {
	switch {
	case spec.Type == "":
		problems["type"] = fmt.Sprintf("is required: one of %s", strings.Join(task.Names(), ", "))
	case len(in.Payload) > maxPayloadBytes:
		problems["payload"] = fmt.Sprintf("must be at most %d KiB of JSON", maxPayloadBytes>>10)
	default:
		payload, payloadProblems := task.Validate(spec.Type, in.Payload)
		for k, v := range payloadProblems {
			problems[k] = v
		}
		if len(payloadProblems) == 0 && hasNUL(payload) {
			problems["payload"] = "must not contain NUL characters"
		}
		spec.Payload = payload
		checkParamRefs(payload, spec.Params, problems)
	}
}

// validSchedule checks the schedule fields (a cron expression, or an hour and a minute, in a time
// zone) and sets the spec's cron and first run.
func (in JobInput) validSchedule(spec *JobSpec, problems map[string]string, now time.Time) {
	spec.Cron = strings.Join(strings.Fields(in.Cron), " ")
	switch {
	case len(spec.Cron) > maxCronLength:
		problems["cron"] = fmt.Sprintf("must be at most %d characters", maxCronLength)
	case spec.Cron != "" && (present(in.Hour) || present(in.Minute)):
		problems["cron"] = "must be given either as cron, or as hour and minute, not both"
	case spec.Cron == "" && (present(in.Hour) || present(in.Minute)):
		hour, hourOK := intField(problems, "hour", in.Hour, 0, 23)
		minute, minuteOK := intField(problems, "minute", in.Minute, 0, 59)
		if hourOK && minuteOK {
			spec.Cron = fmt.Sprintf("%d %d * * *", minute, hour)
		}
	case spec.Cron == "" && spec.AfterJobID != nil:
		// A job that runs after another's runs needs no schedule of its own.
	case spec.Cron == "":
		problems["cron"] = "is required (as cron, or as hour and minute), unless the job runs after another (after)"
	}
	if len(spec.Timezone) > maxTimezoneLength {
		problems["timezone"] = fmt.Sprintf("must be an IANA time zone name of at most %d characters", maxTimezoneLength)
	} else if _, err := schedule.LoadLocation(spec.Timezone); err != nil {
		problems["timezone"] = err.Error()
	} else if spec.Cron != "" && problems["cron"] == "" {
		// A job not stored yet has no id: its H tokens and jitter are checked with 0, and its next
		// run is set again once it has one (fixNextRun).
		sched, err := schedule.Parse(spec.Cron, spec.Timezone)
		windowed, werr := spec.schedule(0)
		switch {
		case err != nil:
			problems["cron"] = err.Error()
		case sched.Next(now).IsZero():
			problems["cron"] = "never matches a date"
		case werr == nil && problems["end_at"] == "" && windowed.Next(now).IsZero():
			problems["end_at"] = "leaves no slot after now: the job would never run again; move it later or leave it out"
		case werr == nil:
			spec.NextRunAt = nextRun(windowed, now)
		}
	}
}

// defaultName names a job after what it does.
func defaultName(s JobSpec) string {
	if t, ok := task.Lookup(s.Type); ok {
		return t.DefaultNameFunc(s.Payload)
	}
	return s.Type
}

// insertParams turns a validated job into the insert query's parameters. A job that signs its
// requests gets a signing secret; an edit keeps the one it has (see JobUpdate).
func (s JobSpec) insertParams() sqlcgen.JobInsertParams {
	var signing *string
	if task.Signed(s.Type, s.Payload) {
		secret := task.NewSigningSecret()
		signing = &secret
	}
	p := sqlcgen.JobInsertParams{
		Name: s.Name, Type: s.Type, Payload: s.Payload, Cron: s.Cron, Timezone: s.Timezone,
		MaxRetries: s.MaxRetries, RetryDelayMs: s.RetryDelay.Milliseconds(), TimeoutMs: s.Timeout.Milliseconds(),
		Catchup: s.Catchup, NextRunAt: s.NextRunAt, RetryOn: s.RetryOn, RetryBackoff: s.RetryBackoff, SigningSecret: signing,
		SecretRefs: task.AllSecretRefs(s.Payload), AlertChannels: s.AlertChannels, AlertAfter: s.AlertAfter,
		// issue 21, jitter and windows
		JitterMs: s.Jitter.Milliseconds(), StartAt: s.StartAt, EndAt: s.EndAt, Blackouts: blackoutsJSON(s.Blackouts),
		// alert rules (issue 22)
		AlertRepeatMs: s.AlertRepeatMs, AlertFlapWindowMs: s.AlertFlapWindowMs, Paused: s.Paused,
		Tags: s.Tags, Description: s.Description, // issue 27
	}
	s.chainParams(&p)
	return p
}

// updateParams turns a validated job into the update query's parameters.
func (s JobSpec) updateParams(id int64) sqlcgen.JobUpdateParams {
	p := s.insertParams()
	return sqlcgen.JobUpdateParams{
		ID: id, Name: p.Name, Type: p.Type, Payload: p.Payload, Cron: p.Cron, Timezone: p.Timezone,
		MaxRetries: p.MaxRetries, RetryDelayMs: p.RetryDelayMs, TimeoutMs: p.TimeoutMs, Catchup: p.Catchup,
		NextRunAt: p.NextRunAt, RetryOn: p.RetryOn, RetryBackoff: p.RetryBackoff, SigningSecret: p.SigningSecret,
		SecretRefs: p.SecretRefs, AlertChannels: p.AlertChannels, AlertAfter: p.AlertAfter,
		// issue 21, jitter and windows
		JitterMs: p.JitterMs, StartAt: p.StartAt, EndAt: p.EndAt, Blackouts: p.Blackouts,
		// overlap, after, params, pause_after_failures, alerts.on (issue 21, sched-b)
		Overlap: p.Overlap, AfterJobID: p.AfterJobID, AfterOn: p.AfterOn, Params: p.Params,
		PauseAfterFailures: p.PauseAfterFailures, AlertOn: p.AlertOn,
		// alert rules (issue 22)
		AlertRepeatMs: p.AlertRepeatMs, AlertFlapWindowMs: p.AlertFlapWindowMs,
		Tags: p.Tags, Description: p.Description, // issue 27
	}
}
