package broker

import (
	"errors"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrBlocked is returned by a publish while RabbitMQ blocks the publisher's connection (a memory
// or disk alarm, connection.blocked). Nothing is written then: the run stays unpublished in the
// database, and the reaper publishes it once the alarm clears. So however long an alarm lasts, no
// publish waits on it and nothing piles up in memory.
var ErrBlocked = errors.New("publishing blocked by RabbitMQ (memory/disk alarm)")

// blockage tracks connection.blocked and connection.unblocked on one connection after another.
type blockage struct {
	mu     sync.Mutex
	since  time.Time // zero while not blocked
	reason string
	events int64
	total  time.Duration // of blockages that ended
}

// watch follows the notifications of one connection until it closes, which ends any blockage: a
// new connection starts unblocked, and is told if the alarm still holds when it publishes.
func (b *blockage) watch(p *Publisher, node string, notes <-chan amqp.Blocking) {
	for n := range notes {
		if n.Active {
			if b.set(n.Reason) {
				p.logger.Warn("RabbitMQ blocked publishing (memory or disk alarm); runs stay queued in the database until it clears",
					"node", node, "reason", n.Reason)
			}
		} else if took, was := b.clear(); was {
			p.logger.Info("RabbitMQ unblocked publishing", "node", node, "blocked_for", took.Round(time.Millisecond).String())
		}
	}
	if took, was := b.clear(); was {
		p.logger.Info("Publisher connection closed while blocked", "node", node, "blocked_for", took.Round(time.Millisecond).String())
	}
}

// set notes a blockage; it reports false if one was already noted.
func (b *blockage) set(reason string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.since.IsZero() {
		return false
	}
	b.since, b.reason = time.Now(), reason
	b.events++
	return true
}

// clear ends a blockage, returning how long it lasted and whether there was one.
func (b *blockage) clear() (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.since.IsZero() {
		return 0, false
	}
	took := time.Since(b.since)
	b.total += took
	b.since, b.reason = time.Time{}, ""
	return took, true
}

// Blocked reports whether RabbitMQ blocks publishing now, and the reason it gave.
func (p *Publisher) Blocked() (bool, string) {
	p.blocked.mu.Lock()
	defer p.blocked.mu.Unlock()
	return !p.blocked.since.IsZero(), p.blocked.reason
}

// BlockedSeconds is how long publishing has been blocked since start, the current blockage
// included; BlockedEvents counts the blockages.
func (p *Publisher) BlockedSeconds() float64 {
	p.blocked.mu.Lock()
	defer p.blocked.mu.Unlock()
	total := p.blocked.total
	if !p.blocked.since.IsZero() {
		total += time.Since(p.blocked.since)
	}
	return total.Seconds()
}

// BlockedEvents counts the times RabbitMQ blocked publishing since start.
func (p *Publisher) BlockedEvents() int64 {
	p.blocked.mu.Lock()
	defer p.blocked.mu.Unlock()
	return p.blocked.events
}
