package worker

import (
	"context"
	"fmt"
)

// Service is a part of the run lifecycle that runs until its context is done. It returns early,
// with an error, only when it cannot go on.
type Service interface {
	Run(ctx context.Context) error
}

// Maintainer owns the services that run on the leader only (the dispatcher, the reaper, the
// scheduler) and runs them as a set: they start in the order given, each after the one it feeds
// on, and stop in reverse, so that nothing is handed to a service that has already stopped.
type Maintainer struct {
	services []Service
}

// NewMaintainer returns a maintainer of services, in start order.
func NewMaintainer(services ...Service) *Maintainer {
	return &Maintainer{services: services}
}

// Run starts every service and waits until ctx is done or one of them stops on its own; then it
// stops the others in reverse order and returns the first error. The leader calls it for every
// term of leadership, and calls it again after an error.
func (m *Maintainer) Run(ctx context.Context) error {
	stopped := make(chan error, len(m.services))
	stops := make([]func(), 0, len(m.services))
	for _, s := range m.services {
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			err := s.Run(sctx)
			if sctx.Err() == nil {
				if err == nil {
					err = fmt.Errorf("%T stopped", s)
				}
				stopped <- err
			}
		}()
		stops = append(stops, func() { cancel(); <-done })
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-stopped:
	}
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
	return err
}
