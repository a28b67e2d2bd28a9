package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/retrypolicy"
	"github.com/cronflow/cronflow/worker/task"
)

// The job form's live summary (issue 27): beside the form on wide screens, below it on phones, it
// says what the job does, when (in words, with the next five runs) and how it retries, from the
// values as typed, through the same checks as a save.

// maxSummaryWhat bounds "what" in the summary, so that a long URL does not make it a column of
// fragments; the whole of it is in a tooltip.
const maxSummaryWhat = 120

// summary is the form's live summary, around the schedule's preview.
func (f jobForm) summary(preview views.SchedulePreview, now time.Time) views.JobSummary {
	spec, problems := f.Valid(now)
	what := f.what()
	s := views.JobSummary{Schedule: preview, What: task.Clip(what, maxSummaryWhat), WhatFull: what}
	if problems["max_retries"] != "" || problems["retry_delay"] != "" || problems["timeout"] != "" {
		return s // a retry policy half typed says nothing yet
	}
	timeout := "each attempt times out after " + views.DurationWords(spec.Timeout) + "."
	switch {
	case spec.MaxRetries == 0:
		s.Retries = "No retries; " + timeout
	default:
		n := "Up to 1 retry"
		if spec.MaxRetries > 1 {
			n = fmt.Sprintf("Up to %d retries", spec.MaxRetries)
		}
		apart := views.DurationWords(spec.RetryDelay) + " apart"
		if spec.RetryBackoff == retrypolicy.BackoffExponential {
			apart = "first after " + views.DurationWords(spec.RetryDelay) + ", then doubling"
		}
		on := "on transient failures"
		if spec.RetryOn == retrypolicy.OnAny {
			on = "on any failure"
		}
		s.Retries = n + ", " + apart + ", " + on + "; " + timeout
	}
	return s
}

// what says in one line what the job does ("GET https://example.com/health"), or only its kind
// while its settings are not complete.
func (f jobForm) what() string {
	t, ok := task.Lookup(f.Type)
	if !ok {
		return ""
	}
	payload, problems := task.Validate(f.Type, formPayload(f.Type, f.Payload, map[string]string{}))
	if len(problems) > 0 || t.SummaryFunc == nil {
		return t.Label
	}
	return t.Label + ": " + t.SummaryFunc(payload)
}

// handleJobSummary serves POST /jobs/summary, the live summary of the form as typed (posted, since
// the task's settings may hold what a URL must not), with each schedule field's problem swapped
// into the slot under that field.
func handleJobSummary() echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := postedJobForm(c)
		if err != nil {
			return err
		}
		now := time.Now()
		preview := f.preview(now)
		return render(c, http.StatusOK, views.JobSummaryFragment(f.summary(preview, now)))
	}
}
