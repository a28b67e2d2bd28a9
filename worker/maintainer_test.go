package worker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// recordingService notes in a shared log when it starts and when it stops.
type recordingService struct {
	name string
	log  *eventLog
	// fail, if set, is returned at once instead of running until ctx is done.
	fail error
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (s *recordingService) Run(ctx context.Context) error {
	s.log.add("start " + s.name)
	defer s.log.add("stop " + s.name)
	if s.fail != nil {
		return s.fail
	}
	<-ctx.Done()
	return nil
}

func TestTheMaintainerStopsServicesInReverseOrder(t *testing.T) {
	t.Parallel()
	log := &eventLog{}
	broken := errors.New("listening connection lost")
	// The last service fails at once, which stops the set: the others stop in reverse order.
	m := NewMaintainer(&recordingService{name: "dispatcher", log: log}, &recordingService{name: "reaper", log: log},
		&recordingService{name: "scheduler", log: log, fail: broken})
	if err := m.Run(context.Background()); !errors.Is(err, broken) {
		t.Fatalf("Run = %v, want the scheduler's error", err)
	}
	stops := slices.DeleteFunc(slices.Clone(log.events), func(e string) bool { return e[:5] == "start" })
	if want := []string{"stop scheduler", "stop reaper", "stop dispatcher"}; !slices.Equal(stops, want) {
		t.Errorf("stopped %v, want %v", stops, want)
	}
	if n := len(log.events); n != 6 {
		t.Errorf("events %v, want every service started and stopped once", log.events)
	}
}
