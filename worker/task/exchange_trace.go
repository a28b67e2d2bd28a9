package task

import (
	"context"
	"crypto/tls"
	"math"
	"net/http/httptrace"
	"sync"
	"time"
)

// Timings are how long the phases of an attempt's HTTP request took, in milliseconds: resolving
// the host, connecting, the TLS handshake, then the wait from the start of the request until the
// answer's first byte, and the whole exchange, body read included. A phase that did not happen
// (an IP address needs no lookup, a reused connection no connect) is 0. Over redirects, the
// phases add up and the first byte is the final answer's.
type Timings struct {
	DNSMs       float64 `json:"dns_ms"`
	ConnectMs   float64 `json:"connect_ms"`
	TLSMs       float64 `json:"tls_ms"`
	FirstByteMs float64 `json:"first_byte_ms"`
	TotalMs     float64 `json:"total_ms"`
}

// tracer measures one request through net/http/httptrace. Its hooks may run on the transport's
// goroutines (a dual-stack dial connects to several addresses at once), hence the lock.
type tracer struct {
	mu                            sync.Mutex
	start                         time.Time
	dnsStart, connStart, tlsStart time.Time
	dns, conn, tls, firstByte     time.Duration
}

// traced starts measuring: ctx is what the request is sent with. Without an exchange to fill in,
// ctx is returned as it is and nothing is measured.
func (x *Exchange) traced(ctx context.Context) context.Context {
	if x == nil {
		return ctx
	}
	tr := &tracer{start: time.Now()}
	x.trace = tr
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { tr.begin(&tr.dnsStart) },
		DNSDone:  func(httptrace.DNSDoneInfo) { tr.end(&tr.dnsStart, &tr.dns) },
		ConnectStart: func(string, string) {
			tr.begin(&tr.connStart)
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				tr.end(&tr.connStart, &tr.conn)
			}
		},
		TLSHandshakeStart: func() { tr.begin(&tr.tlsStart) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { tr.end(&tr.tlsStart, &tr.tls) },
		GotFirstResponseByte: func() {
			tr.mu.Lock()
			tr.firstByte = time.Since(tr.start)
			tr.mu.Unlock()
		},
	})
}

// begin notes the start of a phase, the first if several start together.
func (tr *tracer) begin(at *time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if at.IsZero() {
		*at = time.Now()
	}
}

// end adds the phase begun at *at to total.
func (tr *tracer) end(at *time.Time, total *time.Duration) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !at.IsZero() {
		*total += time.Since(*at)
		*at = time.Time{}
	}
}

// finishTimings stops measuring: the exchange, its answer read or not, is over.
func (x *Exchange) finishTimings() {
	if x == nil || x.trace == nil {
		return
	}
	tr := x.trace
	tr.mu.Lock()
	defer tr.mu.Unlock()
	x.Timings = &Timings{DNSMs: ms(tr.dns), ConnectMs: ms(tr.conn), TLSMs: ms(tr.tls),
		FirstByteMs: ms(tr.firstByte), TotalMs: ms(time.Since(tr.start))}
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())) / 1000
}
