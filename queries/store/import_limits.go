package store

import (
	"errors"
	"fmt"
)

// MaxImportJobs caps the jobs of one import document: a few times the largest fleet we expect,
// small enough that checking them all stays a few tens of MiB.
const MaxImportJobs = 10_000

// MaxJSONDepth caps how deeply any JSON that Cronflow takes in may nest (a request body, a job
// of an import): deeper values are no job's, and would be stored and served back to clients
// that cannot read them.
const MaxJSONDepth = 64

// ErrImportBusy refuses an import while the store runs another: each holds its document's jobs
// in memory, so they take turns. A process has one store, so this is one import per process.
var ErrImportBusy = errors.New("another import is running; try again when it has finished")

// TooDeepProblem is the problem of a JSON value nested deeper than MaxJSONDepth.
var TooDeepProblem = fmt.Sprintf("is nested deeper than %d levels", MaxJSONDepth)

// JSONDepth is how deeply a JSON text nests its objects and arrays (0 for a plain value); it
// counts brackets outside strings, and does not check that the text is JSON.
func JSONDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString:
			inString = b != '"'
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			deepest = max(deepest, depth)
		case b == '}' || b == ']':
			depth--
		}
	}
	return deepest
}

// tryImport takes the store's import slot, or answers ErrImportBusy; done gives it back.
func (s *Store) tryImport() (done func(), err error) {
	select {
	case s.importing <- struct{}{}:
		return func() { <-s.importing }, nil
	default:
		return nil, ErrImportBusy
	}
}
