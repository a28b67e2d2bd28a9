package worker

import "context"

// Slots bounds how many runs of a process execute at once: CONSUMERS of them. A delivery holds a
// slot only while its task executes, not while its claim or its result waits for a batch, nor
// while it waits for its due instant, so that how many runs a process executes at once bounds
// how many targets it calls at once, not how many runs it gets through in a second.
type Slots struct {
	free chan struct{}
}

// NewSlots returns n execution slots.
func NewSlots(n int) *Slots {
	return &Slots{free: make(chan struct{}, max(n, 1))}
}

// take waits for a slot and reports whether it got one; it gives up when ctx ends. Nil slots
// bound nothing.
func (s *Slots) take(ctx context.Context) bool {
	if s == nil {
		return false
	}
	select {
	case s.free <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// release gives back a slot that take got.
func (s *Slots) release() { <-s.free }

// InUse counts the slots held now: the runs executing.
func (s *Slots) InUse() int {
	if s == nil {
		return 0
	}
	return len(s.free)
}
