package task

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"
)

// Executor runs tasks by type. Each attempt runs under the job's timeout, and a panicking task
// becomes a failed attempt instead of a dead consumer.
type Executor struct {
	funcs map[string]ExecuteFunc
	// http is the client every HTTP task shares; Request sends through it too.
	http *http.Client
}

// NewExecutor builds the executor for every task type. client is used for all HTTP tasks.
func NewExecutor(client *http.Client, mail MailConfig) *Executor {
	env := Env{HTTP: client, Mail: mail}
	e := &Executor{funcs: make(map[string]ExecuteFunc, len(registry)), http: client}
	for name, t := range registry {
		e.funcs[name] = t.ExecutorFunc(env)
	}
	return e
}

// Only returns an executor that runs only the named types, as a replica of an older release that
// does not know the others would; a task of another type fails as unknown.
func (e *Executor) Only(types ...string) *Executor {
	only := &Executor{funcs: make(map[string]ExecuteFunc, len(types)), http: e.http}
	for _, name := range types {
		if fn, ok := e.funcs[name]; ok {
			only.funcs[name] = fn
		}
	}
	return only
}

// Execute runs one attempt of a task of the given type within timeout. The values of the task's
// secrets are masked in its output and its error, whatever the target sent back.
func (e *Executor) Execute(ctx context.Context, taskType string, timeout time.Duration, t Task) (output string, err error) {
	output, err = e.execute(ctx, taskType, timeout, t)
	return maskSecrets(output, t.Secrets), maskError(err, t.Secrets)
}

// execute runs one attempt, turning a panic into an error.
func (e *Executor) execute(ctx context.Context, taskType string, timeout time.Duration, t Task) (output string, err error) {
	fn, ok := e.funcs[taskType]
	if !ok {
		return "", fmt.Errorf("unknown task type %q", taskType)
	}
	return e.run(ctx, fn, timeout, t)
}

// run runs fn for t within timeout, turning a panic into an error.
func (e *Executor) run(ctx context.Context, fn ExecuteFunc, timeout time.Duration, t Task) (output string, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			output = ""
			err = fmt.Errorf("task panicked: %v\n%s", r, debug.Stack())
		}
	}()
	output, err = fn(ctx, t)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return output, err
}
