package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

// Tester runs a job's task once, now, as an attempt of a run does (the same executor, so the same
// target rules at the dial, and the same secrets), without a run: the job form's "Send a test
// request" and POST /api/jobs/test (issue 27). Nothing is stored and nothing is published.
type Tester struct {
	exec    *task.Executor
	secrets *Secrets
	logger  *slog.Logger
}

// NewTester returns a tester that runs tasks through exec with the secrets opened by secrets.
func NewTester(exec *task.Executor, secrets *Secrets, logger *slog.Logger) *Tester {
	return &Tester{exec: exec, secrets: secrets, logger: logger}
}

// TestTask runs t once within timeout, its named secrets filled in; reading them counts against
// the timeout too, so that a database that is down cannot keep the person waiting.
func (ts *Tester) TestTask(ctx context.Context, taskType string, timeout time.Duration, t task.Task, secrets []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	values, err := ts.secrets.Values(ctx, ts.logger, secrets)
	if err != nil {
		return "", err
	}
	t.Secrets = values
	return ts.exec.Execute(ctx, taskType, timeout, t)
}
