package dbtest

import (
	"net"
	"time"
)

// Silence makes the proxy stop forwarding, both ways, without closing anything: connections stay
// open and new ones are accepted, but no byte passes, as with a partition, a load balancer that
// dropped its idle-connection state or a dead NAT entry. What was sent meanwhile waits in the
// proxy and the sockets' buffers and is delivered after Resume, as TCP retransmits once a
// partition heals. A peer gets no error from the proxy: only its own deadlines end its waits.
func (p *Proxy) Silence() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silence == nil {
		p.silence = make(chan struct{})
	}
}

// Resume ends a silence: everything held is forwarded and the proxy forwards again.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silence != nil {
		close(p.silence)
		p.silence = nil
	}
}

// SetLatency delays every byte by d/2 in each direction, so that each round trip through the
// proxy takes d longer, as a database in another zone would. Data in flight is pipelined: the
// delay adds to each round trip, not to each chunk in a row.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// waitSpoken returns once the proxy is not silent.
func (p *Proxy) waitSpoken() {
	p.mu.Lock()
	ch := p.silence
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (p *Proxy) oneWayDelay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency / 2
}

// chunk is data read from one side, to be written to the other at due.
type chunk struct {
	data []byte
	due  time.Time
}

// forward copies src to dst until either fails, holding data while the proxy is silent and for
// the latency. A reader and a writer run apart so that latency does not slow a stream down.
func (p *Proxy) forward(dst, src net.Conn) {
	chunks := make(chan chunk, 256)
	go func() {
		defer close(chunks)
		for {
			p.waitSpoken()
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{data: buf[:n], due: time.Now().Add(p.oneWayDelay())}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		p.waitSpoken()
		if _, err := dst.Write(c.data); err != nil {
			// Close src so that the reader ends, then drain what it still sends.
			_ = src.Close()
			for range chunks {
			}
			return
		}
	}
}
