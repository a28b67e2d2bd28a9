package handlers

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker"
)

// jobForm is the dashboard's job form as posted: every field as typed, so that a form with problems
// comes back exactly as the person left it. It is checked by mapping it onto a jobInput, so the
// form and the JSON API accept the same jobs and word their problems the same way.
type jobForm views.JobFormValues

// Form modes: every day at a time, or a cron expression.
const (
	modeSimple   = "simple"
	modeAdvanced = "advanced"
)

// newJobForm is the form for a new job: a daily ping in UTC, with the API's defaults.
func newJobForm() jobForm {
	return jobForm{Mode: modeSimple, Timezone: "UTC", Type: "ping", MaxRetries: "3", RetryDelay: "2s", Timeout: "30s"}
}

// jobFormFrom reads the form's fields through get (a form post's or a query's values).
func jobFormFrom(get func(string) string) jobForm {
	f := jobForm{
		Name: get("name"), Mode: get("mode"), Hour: get("hour"), Minute: get("minute"), Cron: get("cron"),
		Timezone: get("timezone"), Type: strings.TrimSpace(get("type")),
		URL: get("payload.url"), To: get("payload.to"), Subject: get("payload.subject"), Body: get("payload.body"),
		WebhookURL: get("payload.webhook_url"), Text: get("payload.text"),
		MaxRetries: get("max_retries"), RetryDelay: get("retry_delay"), Timeout: get("timeout"),
	}
	if f.Mode != modeSimple && f.Mode != modeAdvanced {
		f.Mode = modeSimple
		if strings.TrimSpace(f.Cron) != "" {
			f.Mode = modeAdvanced
		}
	}
	return f
}

// dailyCron matches the expressions the simple mode writes, so that editing such a job opens in it.
var dailyCron = regexp.MustCompile(`^(\d{1,2}) (\d{1,2}) \* \* \*$`)

// jobFormFromJob fills the form with a stored job, for editing or cloning it.
func jobFormFromJob(j sqlcgen.Job) jobForm {
	f := jobForm{
		Name: j.Name, Mode: modeAdvanced, Cron: j.Cron, Timezone: j.Timezone, Type: j.Type,
		MaxRetries: itoa64(int64(j.MaxRetries)),
		RetryDelay: views.DurationInput(time.Duration(j.RetryDelayMs) * time.Millisecond),
		Timeout:    views.DurationInput(time.Duration(j.TimeoutMs) * time.Millisecond),
	}
	if m := dailyCron.FindStringSubmatch(j.Cron); m != nil {
		f.Mode, f.Minute, f.Hour, f.Cron = modeSimple, m[1], m[2], ""
	}
	var p storedPayload
	_ = json.Unmarshal(j.Payload, &p)
	f.URL, f.To, f.Subject, f.WebhookURL, f.Text = p.URL, strings.Join(p.To, ", "), p.Subject, p.WebhookURL, p.Text
	f.Body = string(p.Body)
	if j.Type == "email" {
		_ = json.Unmarshal(p.Body, &f.Body) // the email's text is a JSON string; the webhook's body is JSON
	}
	return f
}

// input maps the form onto the API's job input, with the problems only the form can have.
func (f jobForm) input() (jobInput, map[string]string) {
	problems := map[string]string{}
	tz, tzProblem := findZone(f.Timezone)
	if tzProblem != "" {
		problems["timezone"] = tzProblem
	}
	in := jobInput{
		Name: f.Name, Type: f.Type, Timezone: tz,
		MaxRetries: formNumber(f.MaxRetries), RetryDelay: formString(f.RetryDelay), Timeout: formString(f.Timeout),
	}
	if f.Mode == modeSimple {
		in.Hour, in.Minute = formNumber(f.Hour), formNumber(f.Minute)
		if in.Hour == nil {
			problems["hour"] = "is required"
		}
		if in.Minute == nil {
			problems["minute"] = "is required"
		}
	} else {
		in.Cron = f.Cron
	}
	in.Payload = formPayload(f.Type, views.JobFormValues(f), problems)
	return in, problems
}

// formPayload builds a task's payload from form fields, which hold text only: the email's
// recipients as one list, the webhook's body as JSON text. Problems only a form can have go into
// problems. The dashboard's form and the original project's form post both use it.
func formPayload(taskType string, f views.JobFormValues, problems map[string]string) json.RawMessage {
	var payload any
	switch taskType {
	case "ping":
		payload = map[string]string{"url": f.URL}
	case "email":
		payload = map[string]any{"to": splitAddresses(f.To), "subject": f.Subject, "body": f.Body}
	case "slack":
		payload = map[string]string{"webhook_url": f.WebhookURL, "text": f.Text}
	case "webhook":
		body := json.RawMessage(strings.TrimSpace(f.Body))
		switch {
		case len(body) == 0:
			body = nil
		case !json.Valid(body):
			problems["payload.body"] = "must be valid JSON, such as {\"event\": \"nightly\"}"
			body = nil
		}
		payload = map[string]any{"url": f.URL, "body": body}
	default:
		payload = map[string]string{}
	}
	out, _ := json.Marshal(payload)
	return out
}

// splitAddresses reads a list of addresses separated by commas, semicolons or line breaks.
func splitAddresses(s string) []string {
	out := []string{}
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Valid checks the form as the API checks a job, and returns the job to store or the problems by
// field name (the form's field names are the API's problem keys).
func (f jobForm) Valid(now time.Time) (jobSpec, map[string]string) {
	in, formProblems := f.input()
	spec, problems := in.Valid(now)
	if formProblems["hour"] != "" || formProblems["minute"] != "" {
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
	for _, name := range []string{"hour", "minute", "cron", "timezone"} {
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
	loc, _ := worker.LoadLocation(spec.Timezone)
	sched, err := worker.ParseSchedule(spec.Cron, spec.Timezone)
	if err != nil {
		return p
	}
	p.Words = worker.DescribeSchedule(spec.Cron)
	next := worker.NextRuns(sched, now, 5)
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
	return views.JobForm{
		Action: action, Title: title, Submit: submit, Cancel: cancel,
		Values: views.JobFormValues(f), Errors: problems, Preview: f.preview(now),
		Timezones: timezones(), Types: typeOptions(),
	}
}

// typeOptions are the task types, named for what they do, in the original project's order.
func typeOptions() []views.Option {
	order := map[string]int{"ping": 1, "email": 2, "slack": 3, "webhook": 4}
	rank := func(t string) int {
		if r, ok := order[t]; ok {
			return r
		}
		return len(order) + 1
	}
	types := worker.TaskTypes()
	slices.SortStableFunc(types, func(a, b string) int { return rank(a) - rank(b) })
	opts := make([]views.Option, len(types))
	for i, t := range types {
		opts[i] = views.Option{Value: t, Label: views.TypeLabel(t)}
	}
	return opts
}
