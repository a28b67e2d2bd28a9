package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/task"
)

// attemptJSON is one attempt of a run, as GET /api/runs/{id} lists them in attempt_history.
type attemptJSON struct {
	Attempt    int32     `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	DurationMs int64     `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error"`
	Output     string    `json:"output"`
	// Request, Response and Timings are what an HTTP attempt sent and got back, Mail an email
	// attempt's server and envelope (issue 27); each null when the attempt kept none.
	Request  *task.ExchangeRequest  `json:"request"`
	Response *task.ExchangeResponse `json:"response"`
	Timings  *task.Timings          `json:"timings"`
	Mail     *task.MailExchange     `json:"mail"`
}

// runDetailJSON is a run with every attempt it had, oldest first.
type runDetailJSON struct {
	runJSON
	AttemptHistory []attemptJSON `json:"attempt_history"`
}

// runAttempts reads every attempt of a run, oldest first.
func runAttempts(ctx context.Context, q *sqlcgen.Queries, runID int64) ([]sqlcgen.RunAttemptListRow, error) {
	rows, err := q.RunAttemptList(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("list attempts of run %d: %w", runID, err)
	}
	return rows, nil
}

func toAttemptsJSON(rows []sqlcgen.RunAttemptListRow) []attemptJSON {
	out := make([]attemptJSON, len(rows))
	for i, a := range rows {
		out[i] = attemptJSON{Attempt: a.Attempt, StartedAt: a.StartedAt, FinishedAt: a.FinishedAt,
			DurationMs: a.FinishedAt.Sub(a.StartedAt).Milliseconds(), Outcome: a.Outcome, Error: a.Error, Output: a.Output}
		if x := readExchange(a.Exchange); x != nil {
			out[i].Request, out[i].Response, out[i].Timings, out[i].Mail = x.Request, x.Response, x.Timings, x.Mail
		}
	}
	return out
}

// toAttemptViews are a run's attempts as its page's timeline shows them.
func toAttemptViews(rows []sqlcgen.RunAttemptListRow, now time.Time) []views.Attempt {
	out := make([]views.Attempt, len(rows))
	for i, a := range rows {
		out[i] = views.Attempt{Number: a.Attempt, Outcome: a.Outcome, Started: views.NewMoment(&a.StartedAt, now, nil),
			Duration: views.Duration(a.FinishedAt.Sub(a.StartedAt)), Error: views.ErrorWords(a.Error), Output: a.Output,
			Exchange: toExchangeView(readExchange(a.Exchange))}
	}
	return out
}

// runTimeline is a run from its queueing to its end (issue 27): queued, each attempt with the
// wait for its retry before it, then finished, or the next attempt to come.
func runTimeline(r sqlcgen.Run, rows []sqlcgen.RunAttemptListRow, history []views.Attempt, now time.Time) []views.Step {
	steps := []views.Step{{Kind: "queued", Label: "Queued", At: views.NewMoment(&r.CreatedAt, now, nil)}}
	for i := range history {
		if i > 0 {
			wait := rows[i].StartedAt.Sub(rows[i-1].FinishedAt)
			steps = append(steps, views.Step{Kind: "wait", Label: "Waited " + views.Duration(wait) + " before retrying",
				Duration: views.Duration(wait)})
		}
		steps = append(steps, views.Step{Kind: "attempt", Label: fmt.Sprintf("Attempt %d", history[i].Number),
			At: history[i].Started, Duration: history[i].Duration, Attempt: &history[i]})
	}
	switch {
	case r.CompletedAt != nil && r.Status.Settled():
		steps = append(steps, views.Step{Kind: "finished", Label: "Finished: " + r.Status.Label(),
			At: views.NewMoment(r.CompletedAt, now, nil), Duration: endToEnd(r, now)})
	case r.NextAttemptAt != nil:
		steps = append(steps, views.Step{Kind: "wait", Label: "Next attempt", At: views.NewMoment(r.NextAttemptAt, now, nil)})
	}
	return steps
}

// endToEnd is how long the run took from when it was due to its end, retries and their waits
// included, or has taken so far; a run queued after it was due (by hand) counts from its queueing.
func endToEnd(r sqlcgen.Run, now time.Time) string {
	from := r.ScheduledAt
	if r.CreatedAt.After(from) {
		from = r.CreatedAt
	}
	switch {
	case r.CompletedAt != nil && r.Status.Settled():
		return views.Duration(r.CompletedAt.Sub(from))
	case r.StartedAt != nil:
		return views.Duration(now.Sub(from)) + " so far"
	}
	return ""
}
