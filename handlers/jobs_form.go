package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/retrypolicy"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/task"
)

// jobForm is the dashboard's job form as posted: every field as typed, so that a form with problems
// comes back exactly as the person left it. It is checked by mapping it onto a store.JobInput, so the
// form and the JSON API accept the same jobs and word their problems the same way.
type jobForm views.JobFormValues

// Form modes: "simple" is every day at a time (the first mode the form had, and still the API's
// hour and minute), "advanced" a cron expression; the other presets are in jobs_form_presets.go.
const (
	modeSimple   = "simple"
	modeAdvanced = "advanced"
)

// newJobForm is the form for a new job: a daily job of the first task type (a ping) in UTC, with
// the API's defaults. The other presets' fields start with values that make sense.
func newJobForm() jobForm {
	return jobForm{Mode: modeSimple, Timezone: "UTC", Type: task.Types()[0].Name, MaxRetries: "3", RetryDelay: "2s", Timeout: "30s",
		EveryMinutes: "15", EveryHours: "1", Weekday: "1", MonthDay: "1",
		RetryOn: retrypolicy.OnTransient, RetryBackoff: retrypolicy.BackoffFixed, Catchup: string(schedule.CatchupLatest),
		Overlap: "allow", AfterOn: "success", PauseAfterFailures: "0",
		AlertOn: []string{"failing", "recovered"}, AlertOnShown: true}
}

// jobFormFrom reads the form's fields through get (a form post's or a query's values).
func jobFormFrom(get func(string) string) jobForm {
	f := jobForm{
		Name: get("name"), Mode: get("mode"), Hour: get("hour"), Minute: get("minute"), Cron: get("cron"),
		EveryMinutes: get("every_minutes"), EveryHours: get("every_hours"), Weekday: get("weekday"), MonthDay: get("month_day"),
		StartPaused: get("paused") == "true", Clone: get("clone") == "true",
		Timezone: get("timezone"), Type: strings.TrimSpace(get("type")), Payload: map[string]string{},
		MaxRetries: get("max_retries"), RetryDelay: get("retry_delay"), Timeout: get("timeout"),
		RetryOn: get("retry_on"), RetryBackoff: get("retry_backoff"),
		Catchup: get("catchup"), AlertAfter: get("alerts.after"),
		// issue 21, jitter and windows
		JobID: get("job_id"), Jitter: get("jitter"), StartAt: get("start_at"), EndAt: get("end_at"), Blackouts: get("blackouts"),
		// overlap, after, params, pause_after_failures (issue 21, sched-b)
		Overlap: get("overlap"), AfterJob: get("after.job_id"), AfterOn: get("after.on"), Params: get("params"),
		PauseAfterFailures: get("pause_after_failures"),
		// alert rules (issue 22)
		AlertRepeat: get("alerts.repeat"), AlertFlapWindow: get("alerts.flap_window"),
		Tags: get("tags"), Description: get("description"), // issue 27
	}
	// Every type's fields are read, so that what both types have (a URL) survives a change of type.
	for _, name := range task.FormFields() {
		f.Payload[name] = get(name)
	}
	if !isMode(f.Mode) {
		f.Mode = modeSimple
		if strings.TrimSpace(f.Cron) != "" {
			f.Mode = modeAdvanced
		}
	}
	return f
}

// jobFormFromJob fills the form with a stored job, for editing or cloning it.
func jobFormFromJob(j sqlcgen.Job) jobForm {
	f := jobForm{
		Name: j.Name, Mode: modeAdvanced, Cron: j.Cron, Timezone: j.Timezone, Type: j.Type,
		MaxRetries:    itoa64(int64(j.MaxRetries)),
		RetryDelay:    views.DurationInput(time.Duration(j.RetryDelayMs) * time.Millisecond),
		Timeout:       views.DurationInput(time.Duration(j.TimeoutMs) * time.Millisecond),
		AlertChannels: alertChannelValues(j.AlertChannels), AlertAfter: itoa64(int64(j.AlertAfter)),
		RetryOn: j.RetryOn, RetryBackoff: j.RetryBackoff, Catchup: string(j.Catchup),
		// alert rules (issue 22)
		AlertRepeat: ruleInput(j.AlertRepeatMs), AlertFlapWindow: ruleInput(j.AlertFlapWindowMs),
		// alerts.on (issues 21, 22)
		AlertOn: j.AlertOn, AlertOnShown: true,
		Tags: strings.Join(j.Tags, " "), Description: j.Description, // issue 27
	}
	f.Jitter, f.StartAt, f.EndAt, f.Blackouts = windowFormValues(j)
	chainFormFromJob(&f, j)
	if mode, values := presetFromCron(j.Cron); mode != modeAdvanced {
		f.Mode, f.Cron = mode, ""
		f.setPresetValues(values)
	}
	f.Payload = map[string]string{}
	if t, ok := task.Lookup(j.Type); ok {
		f.Payload = t.FormValuesFunc(j.Payload)
	}
	return f
}

// input maps the form onto the API's job input, with the problems only the form can have.
func (f jobForm) input() (store.JobInput, map[string]string) {
	problems := map[string]string{}
	tz, tzProblem := findZone(f.Timezone)
	if tzProblem != "" {
		problems["timezone"] = tzProblem
	}
	in := store.JobInput{
		Name: f.Name, Type: f.Type, Timezone: tz,
		MaxRetries: formNumber(f.MaxRetries), RetryDelay: formString(f.RetryDelay), Timeout: formString(f.Timeout),
		RetryOn: f.RetryOn, RetryBackoff: f.RetryBackoff, Catchup: f.Catchup,
	}
	if p, ok := presetOf(f.Mode); ok {
		in.Cron, _ = p.cron(f.presetValues(), problems)
	} else {
		in.Cron = f.Cron
	}
	in.Payload = formPayload(f.Type, f.Payload, problems)
	in.Alerts = formAlerts(f.AlertChannels, f.AlertAfter, problems)
	in.Jitter, in.StartAt, in.EndAt = formString(f.Jitter), formString(f.StartAt), formString(f.EndAt)
	in.Blackouts = formBlackouts(f.Blackouts, problems)
	f.chainInput(&in, problems)
	in.Alerts = withFormAlertRules(in.Alerts, f.AlertRepeat, f.AlertFlapWindow) // alert rules (issue 22)
	in.Alerts = withFormAlertsOn(in.Alerts, f.AlertOn, f.AlertOnShown)          // alerts.on (issues 21, 22)
	in.Tags = store.SplitTags(f.Tags)                                           // issue 27: always given, so that emptying a field clears it
	in.Description, _ = json.Marshal(f.Description)
	return in, problems
}

// formPayload builds a task's payload from form fields, keyed by field name, which hold text only:
// the email's recipients as one list, the webhook's body as JSON text. Problems only a form can
// have go into problems. The dashboard's form and the original project's form post both use it.
func formPayload(taskType string, values, problems map[string]string) json.RawMessage {
	t, ok := task.Lookup(taskType)
	if !ok {
		return json.RawMessage("{}")
	}
	out, _ := json.Marshal(t.FormPayloadFunc(values, problems))
	return out
}

// Valid checks the form as the API checks a job, and returns the job to store or the problems by
// field name (the form's field names are the API's problem keys).
func (f jobForm) Valid(now time.Time) (store.JobSpec, map[string]string) {
	in, formProblems := f.input()
	spec, problems := in.Valid(now)
	if slices.ContainsFunc(presetFieldNames, func(name string) bool { return formProblems[name] != "" }) {
		delete(problems, "cron") // "give hour and minute" said once, on the fields themselves
	}
	for k, v := range formProblems {
		problems[k] = v
	}
	return spec, problems
}

// preview is the live schedule check: the schedule in words and its next five runs, or the
// schedule fields' problems. A field that is merely still empty is not called a problem while the
// person is typing.
func (f jobForm) preview(now time.Time) views.SchedulePreview {
	spec, problems := f.Valid(now)
	p := views.SchedulePreview{Timezone: spec.Timezone, Errors: map[string]string{}}
	for _, name := range append([]string{"cron", "timezone", "jitter", "start_at", "end_at", "blackouts"}, presetFieldNames...) {
		if msg := problems[name]; msg != "" {
			p.Errors[name] = msg
		}
	}
	if len(p.Errors) > 0 {
		for name, msg := range p.Errors {
			if strings.HasPrefix(msg, "is required") {
				delete(p.Errors, name)
			}
		}
		return p
	}
	loc, _ := schedule.LoadLocation(spec.Timezone)
	in, _ := f.input()
	jobID, _ := strconv.ParseInt(f.JobID, 10, 64)
	next, runProblems := previewRuns(in, jobID, now, 5) // what GET /api/schedule/preview answers
	if len(runProblems) > 0 {
		return p
	}
	p.Words = schedule.Describe(spec.Cron)
	show := views.ShortExact
	if slices.ContainsFunc(next, func(t time.Time) bool { return t.Second() != 0 }) {
		show = views.ShortExactSeconds // a seconds field: to the minute, every run would look the same
	}
	for _, t := range next {
		p.Next = append(p.Next, views.NextRun{Local: show(t, loc), UTC: show(t, time.UTC)})
	}
	return p
}

// view is the form as the template shows it.
func (f jobForm) view(action, title, submit, cancel string, problems map[string]string, now time.Time) views.JobForm {
	if problems == nil {
		problems = map[string]string{}
	}
	preview := f.preview(now)
	return views.JobForm{
		Action: action, Title: title, Submit: submit, Cancel: cancel, ProblemsTitle: "The job was not saved.",
		Values: views.JobFormValues(f), Errors: problems, Preview: preview,
		Timezones: timezones(), Types: typeOptions(), Catchups: catchupOptions(), Fields: taskFields(f.Type, f.Payload),
		Presets: presetOptions(), Weekdays: weekdays, Summary: f.summary(preview, now),
	}
}

// taskFields are the form's fields for a task type, filled from values. An unknown type (a form
// post that named none) shows those of the first type, which the type list shows as chosen.
func taskFields(taskType string, values map[string]string) []views.TaskField {
	t, ok := task.Lookup(taskType)
	if !ok {
		t = task.Types()[0]
	}
	fields := make([]views.TaskField, len(t.Fields))
	for i, f := range t.Fields {
		fields[i] = views.TaskField{Name: f.Name, Label: f.Label, Input: f.Input, Hint: f.Hint, Options: f.Options}
		if f.Input == "headers" {
			fields[i].Rows, fields[i].MaxRows = headerRows(f.Name, values), task.MaxHeaderRows
		}
	}
	return fields
}

// headerRows are a headers input's rows: those filled in, then two empty ones (at least three in
// all), up to task.MaxHeaderRows. Rows are kept in place, so a problem stays next to its row.
func headerRows(field string, values map[string]string) []views.HeaderRow {
	var rows []views.HeaderRow
	last := -1
	for i := range task.MaxHeaderRows {
		nameField, valueField := task.HeaderRowNames(field, i)
		rows = append(rows, views.HeaderRow{NameField: nameField, ValueField: valueField, Name: values[nameField], Value: values[valueField]})
		if values[nameField] != "" || values[valueField] != "" {
			last = i
		}
	}
	return rows[:min(task.MaxHeaderRows, max(3, last+3))]
}

// typeOptions are the task types, named for what they do, in the original project's order.
// catchupOptions are the catch-up policies, for the form's select.
func catchupOptions() []views.Option {
	opts := make([]views.Option, 0, len(schedule.Catchups()))
	for _, c := range schedule.Catchups() {
		opts = append(opts, views.Option{Value: string(c), Label: c.Label()})
	}
	return opts
}

func typeOptions() []views.Option {
	types := task.Types()
	opts := make([]views.Option, len(types))
	for i, t := range types {
		opts[i] = views.Option{Value: t.Name, Label: t.Label}
	}
	return opts
}

// formExtras fills in what the job form offers from the database: the alert channels (see
// withAlerts) and the names of the secrets a job may use.
func formExtras(ctx context.Context, q *sqlcgen.Queries, view views.JobForm, fresh bool) (views.JobForm, error) {
	view, err := withAlerts(ctx, q, view, fresh)
	if err != nil {
		return view, err
	}
	if view.Secrets, err = q.SecretNames(ctx); err != nil {
		return view, fmt.Errorf("list secret names: %w", err)
	}
	return view, nil
}
