package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// document is an export document as an import reads it: each job checked as it was read, the
// problems of the invalid ones by their index, and the problems of the document itself.
type document struct {
	jobs     []ImportedJob
	problems map[int]map[string]string
	// count is how many jobs the document holds, beyond MaxImportJobs too.
	count int
}

// readDocument reads an export document one job at a time, with json.Decoder's tokens, checking
// each job as it comes (see checkImportJob) and keeping only what the import stores of it: the
// document is never held whole, nor decoded twice. Past MaxImportJobs it only counts the jobs, to
// say how many there are.
func readDocument(r io.Reader, now time.Time) (*document, error) {
	dec := json.NewDecoder(r)
	doc := &document{problems: map[int]map[string]string{}}
	if err := expectDelim(dec, '{', "the document must be a JSON object"); err != nil {
		return nil, err
	}
	var version json.RawMessage
	sawJobs := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, &UnreadableImportError{Err: err}
		}
		switch key {
		case "jobs":
			if sawJobs {
				return nil, &InvalidImportError{Document: map[string]string{"jobs": "is given twice"}}
			}
			sawJobs = true
			err = doc.readJobs(dec, now)
		case "version":
			err = decodeValue(dec, &version, "version")
		case "exported_at":
			var skipped json.RawMessage
			err = decodeValue(dec, &skipped, "exported_at")
		default:
			// A field an export does not write is named, as the API names it (issue 21).
			err = &InvalidImportError{Document: map[string]string{fmt.Sprint(key): UnknownFieldProblem}}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := expectDelim(dec, '}', "the document must be a JSON object"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &UnreadableImportError{Err: fmt.Errorf("unexpected data after the document")}
	}
	return doc, checkEnvelope(doc, version, sawJobs)
}

// checkEnvelope says what is wrong with a document beyond its jobs: its version, a missing list
// of jobs, more jobs than MaxImportJobs.
func checkEnvelope(doc *document, version json.RawMessage, sawJobs bool) error {
	switch {
	case !present(version):
		return &InvalidImportError{Document: map[string]string{"version": "is required (an export has version 1)"}}
	case string(version) != fmt.Sprint(transferVersion):
		return &InvalidImportError{Document: map[string]string{"version": fmt.Sprintf("must be %d", transferVersion)}}
	case !sawJobs || doc.jobs == nil:
		return &InvalidImportError{Document: map[string]string{"jobs": "is required: a list of jobs"}}
	case doc.count > MaxImportJobs:
		return &InvalidImportError{Document: map[string]string{"jobs": fmt.Sprintf(
			"must hold at most %d jobs, and this document holds %d: split it into several imports", MaxImportJobs, doc.count)}}
	}
	return nil
}

// readJobs reads the document's list of jobs, one element at a time.
func (doc *document) readJobs(dec *json.Decoder, now time.Time) error {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return &UnreadableImportError{Err: err}
	case tok == nil:
		return nil // "jobs": null is no list; checkEnvelope says so
	case tok != json.Delim('['):
		return &InvalidImportError{Document: map[string]string{"jobs": "must be a JSON array"}}
	}
	doc.jobs = []ImportedJob{}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &UnreadableImportError{Err: err}
		}
		i := doc.count
		doc.count++
		if doc.count > MaxImportJobs {
			continue // counted only, to say how many there are
		}
		var job sqlcgen.Job
		var name string
		var untold importUntold
		fields := map[string]string{"job": TooDeepProblem}
		if JSONDepth(raw)+2 <= MaxJSONDepth { // the document and its list hold the job
			job, name, fields, untold = checkImportJob(raw, now)
		}
		doc.jobs = append(doc.jobs, ImportedJob{Index: i, Name: name, Action: "create", job: job, untold: untold})
		if len(fields) > 0 {
			doc.problems[i] = fields
		}
	}
	_, err = dec.Token() // the list's closing bracket
	if err != nil {
		return &UnreadableImportError{Err: err}
	}
	return nil
}

// decodeValue reads the next value of the document, which field holds, refusing one nested
// deeper than MaxJSONDepth.
func decodeValue(dec *json.Decoder, v *json.RawMessage, field string) error {
	if err := dec.Decode(v); err != nil {
		return &UnreadableImportError{Err: err}
	}
	if JSONDepth(*v)+1 > MaxJSONDepth {
		return &InvalidImportError{Document: map[string]string{field: TooDeepProblem}}
	}
	return nil
}

// expectDelim reads the next token, which must be delim; anything else is unreadable, saying want.
func expectDelim(dec *json.Decoder, delim json.Delim, want string) error {
	tok, err := dec.Token()
	if err != nil {
		return &UnreadableImportError{Err: err}
	}
	if tok != delim {
		return &UnreadableImportError{Err: errors.New(want)}
	}
	return nil
}
