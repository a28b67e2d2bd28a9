package workertest

import (
	"bytes"
	"strings"
	"sync"
)

// LogBuffer is a log sink that the code under test writes while the test reads it: a
// bytes.Buffer behind a mutex. The zero value is ready to use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p, as io.Writer asks.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether one line of the logs holds every one of the fragments.
func (b *LogBuffer) Contains(fragments ...string) bool {
	for _, line := range strings.Split(b.String(), "\n") {
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(line, f)
		}
		if all {
			return true
		}
	}
	return false
}
