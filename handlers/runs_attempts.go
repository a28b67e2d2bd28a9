package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
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
	}
	return out
}

// toAttemptViews are a run's attempts as its page's timeline shows them.
func toAttemptViews(rows []sqlcgen.RunAttemptListRow, now time.Time) []views.Attempt {
	out := make([]views.Attempt, len(rows))
	for i, a := range rows {
		out[i] = views.Attempt{Number: a.Attempt, Outcome: a.Outcome, Started: views.NewMoment(&a.StartedAt, now, nil),
			Duration: views.Duration(a.FinishedAt.Sub(a.StartedAt)), Error: views.ErrorWords(a.Error), Output: a.Output}
	}
	return out
}
