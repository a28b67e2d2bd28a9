package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// httpTarget records the method, content type and body of every request it gets.
type httpTarget struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

func newHTTPTarget(t *testing.T, delay time.Duration) *httpTarget {
	tg := &httpTarget{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		tg.requests = append(tg.requests, r.Method+" "+r.Header.Get("Content-Type")+" "+string(body))
		tg.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(tg.Close)
	return tg
}

// newHTTPTargetWith starts a target that answers with h.
func newHTTPTargetWith(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func (tg *httpTarget) got() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]string(nil), tg.requests...)
}

// echoingTarget answers every request with the Authorization header it got, as a careless API
// might in an error message, and keeps the last one it saw.
type echoingTarget struct {
	URL  string
	mu   sync.Mutex
	last string
}

func newEchoingTarget(t *testing.T) *echoingTarget {
	tg := &echoingTarget{}
	tg.URL = newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.last = r.Header.Get("Authorization")
		tg.mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"you sent": %q}`, r.Header.Get("Authorization"))
	})).URL
	return tg
}

func (tg *echoingTarget) lastAuthorization() string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.last
}

// countingTarget answers 200 and counts the requests of each Idempotency-Key.
type countingTarget struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newCountingTarget(tb testing.TB) *countingTarget {
	tg := &countingTarget{counts: map[string]int{}}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.counts[r.Header.Get("Idempotency-Key")]++
		tg.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	tb.Cleanup(tg.Close)
	return tg
}

func (tg *countingTarget) hits(key string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.counts[key]
}
