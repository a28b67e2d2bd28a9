package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// Executor runs tasks by type. Each attempt runs under the job's timeout, and a panicking task
// becomes a failed attempt instead of a dead consumer.
type Executor struct {
	funcs map[string]ExecuteFunc
}

// NewExecutor builds the executor for every task type. client is used for all HTTP tasks.
func NewExecutor(client *http.Client, mail MailConfig) *Executor {
	return &Executor{funcs: map[string]ExecuteFunc{
		"ping":    pingExecutor(client),
		"slack":   slackExecutor(client),
		"webhook": webhookExecutor(client),
		"email":   emailExecutor(mail),
	}}
}

// Execute runs one attempt of a task of the given type within timeout.
func (e *Executor) Execute(ctx context.Context, taskType string, timeout time.Duration, t Task) (output string, err error) {
	fn, ok := e.funcs[taskType]
	if !ok {
		return "", fmt.Errorf("unknown task type %q", taskType)
	}
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

// NewHTTPClient returns the client shared by every HTTP task: bounded connection set-up and
// connections reused across runs. With allowPrivate false, it refuses to connect to loopback,
// private, link-local and cloud-metadata addresses; the check is made on the address being dialled,
// after DNS resolution, so a name that resolves (or rebinds) to such an address is refused too.
func NewHTTPClient(maxConnsPerHost int, allowPrivate bool) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4 * maxConnsPerHost
	transport.MaxIdleConnsPerHost = maxConnsPerHost
	transport.TLSHandshakeTimeout = 10 * time.Second
	transport.ResponseHeaderTimeout = 5 * time.Minute
	if !allowPrivate {
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate}
		transport.DialContext = dialer.DialContext
		// A proxy would be the address dialled, and the target could not be checked.
		transport.Proxy = nil
	}
	return &http.Client{Transport: transport}
}
