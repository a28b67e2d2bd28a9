package views

// JobForm is the create and edit form: what the person typed, their problems by field name, and the
// schedule in words with its next runs.
type JobForm struct {
	Action, Title, Submit, Cancel string
	Values                        JobFormValues
	Errors                        map[string]string
	Preview                       SchedulePreview
	Timezones                     []string
	Types                         []Option
	// Catchups are the catch-up policies for missed runs.
	Catchups []Option
	// Fields are the inputs of the chosen task type, in order.
	Fields []TaskField
	// Secrets are the names of the secrets a job may use, offered next to the task's fields.
	Secrets []string
	// Alerts are the channels to choose from, filled in by the page's handler.
	Alerts AlertForm
	// Presets are the kinds of schedule (every N minutes, ..., a cron expression), by mode; Weekdays
	// the weekly preset's days.
	Presets, Weekdays []Option
	// Summary is the live summary beside the form: what, when, retries.
	Summary JobSummary
	// Paused offers "Start paused": a new job or a copy, not an edit.
	Paused bool
	// ProblemsTitle says what did not happen when the form has problems ("The job was not saved.").
	ProblemsTitle string
	// Test is the outcome of "Send a test request", shown under its button; nil before any.
	Test *TestOutcome
}

// JobSummary is the form's live summary (issue 27): what the job does, its schedule in words with
// the next runs, and its retries, as the person types.
type JobSummary struct {
	// What is cut to a readable length; WhatFull is the whole of it, for a tooltip.
	What, WhatFull, Retries string
	Schedule                SchedulePreview
}

// TestOutcome is what a test request did: its status line (HTTP 200 OK) or that it failed, how
// long it took, an excerpt of the answer and the error in words.
type TestOutcome struct {
	OK                       bool
	Status, Duration, Output string
	Error                    string
}

// JobFormValues are the form's fields as typed. Mode is "simple" (every day at Hour:Minute) or
// "advanced" (Cron). Payload holds the task's fields by name ("payload.url").
type JobFormValues struct {
	Name, Mode, Hour, Minute, Cron, Timezone, Type string
	// The other presets' fields (issue 27): every N minutes or hours, a day of the week (0 is
	// Sunday) and of the month. StartPaused is the "Start paused" box.
	EveryMinutes, EveryHours, Weekday, MonthDay string
	StartPaused                                 bool
	Tags, Description                           string // issue 27: the tags as typed
	// Clone says the form copies a job: the copy starts paused, and the form says why.
	Clone                                    bool
	Payload                                  map[string]string
	MaxRetries, RetryDelay, Timeout, Catchup string
	RetryOn, RetryBackoff                    string
	// AlertChannels are the ids of the channels ticked; AlertAfter the threshold as typed.
	AlertChannels []string
	AlertAfter    string
	// issue 21, jitter and windows: as typed; Blackouts one "from to" range a line. JobID is the
	// edited job's id, which its H tokens and jitter offset are chosen from ("" for a new job).
	JobID, Jitter, StartAt, EndAt, Blackouts string
	// overlap, after, params, pause_after_failures (issue 21, sched-b). AfterJob is the upstream
	// job's id as typed ("" for none); Params are one NAME=default a line.
	Overlap, AfterJob, AfterOn, Params, PauseAfterFailures string
	// Alert rules (issue 22): the reminder interval and the flap window as typed; empty is off.
	AlertRepeat, AlertFlapWindow string
	// alerts.on (issues 21 and 22): the events ticked. AlertOnShown says the form had the boxes,
	// so that none ticked means none, while a post without them keeps the job's events.
	AlertOn      []string
	AlertOnShown bool
}

// TaskField is one input of a task type: its name (which is also the key of its problem), label,
// kind ("text", "url", "textarea", "select", "checkbox" or "headers") and hint. A select offers
// Options; a headers input shows Rows.
type TaskField struct {
	Name, Label, Input, Hint string
	Options                  []string
	Rows                     []HeaderRow
	// MaxRows is how many header rows the form may carry, for "Add header".
	MaxRows int
}

// HeaderRow is one header of a headers input: the names of its two fields and what they hold.
type HeaderRow struct {
	NameField, ValueField, Name, Value string
}

// SchedulePreview is the live check of the schedule: its words and next runs when it is valid, and
// the problems of the schedule's fields otherwise.
type SchedulePreview struct {
	Words, Timezone string
	Next            []NextRun
	Errors          map[string]string
}

// NextRun is one coming run, in the job's zone and in UTC.
type NextRun struct {
	Local, UTC string
}

// scheduleFields are the fields the live schedule check reports on.
var scheduleFields = []string{"every_minutes", "every_hours", "weekday", "month_day", "hour", "minute", "cron", "timezone"}
