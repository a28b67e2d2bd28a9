package store

import (
	"github.com/cronflow/cronflow/queries/store/words"

	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Import modes: upsert matches the document's jobs to stored ones by name; create makes them all anew.
const (
	ImportUpsert = "upsert"
	ImportCreate = "create"
)

// ImportOptions says how to import a document.
type ImportOptions struct {
	// Mode is ImportUpsert (the default) or ImportCreate.
	Mode string
	// DryRun checks the document and says what would change, storing nothing.
	DryRun bool
}

// ImportResult counts what an import changed (or, on a dry run, would change).
type ImportResult struct {
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	DryRun    bool `json:"dry_run"`
	// Jobs is what happens to each job of the document, in its order, for a preview.
	Jobs []ImportedJob `json:"-"`
}

// ImportedJob is what an import does with one job of its document.
type ImportedJob struct {
	Index  int
	Name   string
	Action string // "create", "update" or "unchanged"
	// Changes are the fields an update changes, masked as the audit log shows them.
	Changes map[string]FieldChange
	job     sqlcgen.Job // the job as it will be stored; its ID is that of the job updated
	untold  importUntold
}

// importUntold names the fields (issue 27) an entry left out, which an update keeps as they are,
// as PUT /api/jobs/{id} keeps them: a document exported before they existed changes no tags.
type importUntold struct{ tags, description bool }

// ImportProblem is an invalid job of a document: its position, its name and its problems by field.
type ImportProblem struct {
	Index  int               `json:"index"`
	Name   string            `json:"name"`
	Fields map[string]string `json:"fields"`
}

// InvalidImportError says why a document was refused; nothing of it was stored.
type InvalidImportError struct {
	// Document holds problems with the document itself ("version", "jobs").
	Document map[string]string
	// Jobs are the invalid jobs, in the document's order.
	Jobs []ImportProblem
}

func (e *InvalidImportError) Error() string {
	if len(e.Document) > 0 {
		var problems []string
		for _, field := range slices.Sorted(maps.Keys(e.Document)) {
			problems = append(problems, field+" "+e.Document[field])
		}
		return "the document is not an export: " + strings.Join(problems, "; ")
	}
	n := int64(len(e.Jobs))
	return fmt.Sprintf("%d of the document's jobs %s not valid; nothing was imported", n, words.Plural(n, "is", "are"))
}

// UnreadableImportError says the document is not JSON at all.
type UnreadableImportError struct{ Err error }

func (e *UnreadableImportError) Error() string {
	return "the document is not valid JSON: " + e.Err.Error()
}

func (e *UnreadableImportError) Unwrap() error { return e.Err }

// Import reads an export document and creates or updates its jobs, all in one transaction with
// their audit entries, as actor's: either every job is valid and stored, or nothing is. Each job is
// checked exactly as POST /api/jobs checks it. The scheduler is told once, when the transaction
// commits. A document holds at most MaxImportJobs jobs, and the store runs one import at a time:
// another is ErrImportBusy.
func (s *Store) Import(ctx context.Context, actor string, r io.Reader, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{DryRun: opts.DryRun}
	if opts.Mode == "" {
		opts.Mode = ImportUpsert
	}
	if opts.Mode != ImportUpsert && opts.Mode != ImportCreate {
		return res, &InvalidImportError{Document: map[string]string{"mode": "must be upsert or create"}}
	}
	done, err := s.tryImport()
	if err != nil {
		return res, err
	}
	defer done()
	doc, err := readDocument(r, time.Now())
	if err != nil {
		return res, err
	}
	var notices []int64
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		if res.Jobs, err = planImport(ctx, q, doc.jobs, doc.problems, opts.Mode); err != nil {
			return nil, err
		}
		for _, j := range res.Jobs {
			switch j.Action {
			case "create":
				res.Created++
			case "update":
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		if opts.DryRun || res.Created+res.Updated == 0 {
			return nil, nil // nothing written: the commit ends a transaction that only read
		}
		if err := s.sealImported(res.Jobs); err != nil {
			return nil, err
		}
		entries, err := applyImport(ctx, q, res.Jobs)
		if err != nil {
			return nil, err
		}
		// A failing job whose channels the import changed tells the added ones at once (issue 22).
		notices, err = tellUntold(ctx, q, updatedJobIDs(res.Jobs))
		return entries, err
	})
	if err == nil {
		s.publishNotices(ctx, notices)
	}
	return res, err
}

// updatedJobIDs are the ids of the jobs an import updates.
func updatedJobIDs(jobs []ImportedJob) []int64 {
	var ids []int64
	for _, j := range jobs {
		if j.Action == "update" {
			ids = append(ids, j.job.ID)
		}
	}
	return ids
}
