package handlers

import (
	"net/http"
	"sync/atomic"
	"testing"
)

func TestEveryAnswerSaysWhilePublishingIsBlocked(t *testing.T) {
	t.Parallel()
	var state atomic.Value
	state.Store("")
	f := setup(t, func(d *Deps) { d.BrokerStateFunc = func() string { return state.Load().(string) } })
	const blocked = "Publishing blocked by RabbitMQ (memory/disk alarm): runs stay queued and are sent when it clears."
	for _, htmx := range []bool{false, true} {
		state.Store("")
		var header []string
		if htmx {
			header = []string{"HX-Request", "true"}
		}
		rec := f.send(http.MethodGet, "/runs/table", nil, header...)
		if rec.Code != http.StatusOK || rec.Header().Get(BrokerStateHeader) != "" {
			t.Fatalf("htmx %v, not blocked: status %d, %s %q, want 200 and none", htmx, rec.Code, BrokerStateHeader, rec.Header().Get(BrokerStateHeader))
		}
		state.Store(blocked)
		rec = f.send(http.MethodGet, "/runs/table", nil, header...)
		if got := rec.Header().Get(BrokerStateHeader); rec.Code != http.StatusOK || got != blocked {
			t.Errorf("htmx %v, blocked: status %d, %s %q, want 200 and %q", htmx, rec.Code, BrokerStateHeader, got, blocked)
		}
	}
}
