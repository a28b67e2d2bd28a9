// Package workertest holds what tests of several packages share: waiting for a condition by
// polling, and a logger that speaks only under go test -v.
package workertest

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

// WaitFor polls cond until it is true, failing the test after within. Tests wait for what they
// expect instead of sleeping.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Logger returns a logger that writes to the test's output under -v, and nowhere otherwise.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
