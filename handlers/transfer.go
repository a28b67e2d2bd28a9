package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// transferVersion is the version of the export document's format, which import checks.
const transferVersion = 1

// transferJob is a job in an export document: every field needed to make the job again, and
// nothing that belongs to one installation (ids, dates, the next run). References to secrets in a
// payload stay references.
type transferJob struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Cron       string          `json:"cron"`
	Timezone   string          `json:"timezone"`
	Payload    json.RawMessage `json:"payload"`
	MaxRetries int32           `json:"max_retries"`
	RetryDelay string          `json:"retry_delay"`
	Timeout    string          `json:"timeout"`
	Catchup    string          `json:"catchup"`
	Paused     bool            `json:"paused"`
	Alerts     alertsJSON      `json:"alerts"`
	// RetryOn and RetryBackoff are the retry policy; a signed webhook gets a signing secret of its
	// own where it is imported.
	RetryOn      string `json:"retry_on"`
	RetryBackoff string `json:"retry_backoff"`
}

// toTransferJob is a job as export writes it, in the API's notation.
func toTransferJob(j sqlcgen.Job) transferJob {
	a := toJobJSON(j)
	return transferJob{
		Name: a.Name, Type: a.Type, Cron: a.Cron, Timezone: a.Timezone, Payload: a.Payload,
		MaxRetries: a.MaxRetries, RetryDelay: a.RetryDelay, Timeout: a.Timeout, Catchup: a.Catchup, Paused: j.Paused,
		Alerts: a.Alerts, RetryOn: a.RetryOn, RetryBackoff: a.RetryBackoff,
	}
}

// exportPage is how many jobs export reads at a time.
const exportPage = 1000

// Export writes every job as an export document: {"version": 1, "exported_at", "jobs": [...]}. It
// reads and writes a page of jobs at a time, so that 100,000 jobs need no more memory than 1,000.
func Export(ctx context.Context, q *sqlcgen.Queries, w io.Writer) error {
	bw := bufio.NewWriter(w)
	head, _ := json.Marshal(time.Now().UTC())
	fmt.Fprintf(bw, "{\"version\": %d, \"exported_at\": %s, \"jobs\": [", transferVersion, head)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var after int64
	for first := true; ; {
		jobs, err := q.JobListAll(ctx, sqlcgen.JobListAllParams{AfterID: after, MaxRows: exportPage})
		if err != nil {
			return fmt.Errorf("list jobs to export: %w", err)
		}
		for _, j := range jobs {
			if !first {
				bw.WriteString(",")
			}
			first = false
			bw.WriteString("\n  ")
			if err := enc.Encode(toTransferJob(j)); err != nil {
				return fmt.Errorf("encode job %d: %w", j.ID, err)
			}
			after = j.ID
		}
		if len(jobs) < exportPage {
			break
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

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
	// Actor is who the audit log says made the changes.
	Actor string
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
	Changes map[string]fieldChange
	job     sqlcgen.Job // the job as it will be stored; its ID is that of the job updated
}

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
	return fmt.Sprintf("%d of the document's jobs are not valid; nothing was imported", len(e.Jobs))
}

// UnreadableImportError says the document is not JSON at all.
type UnreadableImportError struct{ Err error }

func (e *UnreadableImportError) Error() string {
	return "the document is not valid JSON: " + e.Err.Error()
}

func (e *UnreadableImportError) Unwrap() error { return e.Err }

// Import reads an export document and creates or updates its jobs, all in one transaction with
// their audit entries: either every job is valid and stored, or nothing is. Each job is checked
// exactly as POST /api/jobs checks it. The scheduler is told once, when the transaction commits.
func Import(ctx context.Context, db TxStarter, r io.Reader, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{DryRun: opts.DryRun}
	if opts.Mode == "" {
		opts.Mode = ImportUpsert
	}
	if opts.Mode != ImportUpsert && opts.Mode != ImportCreate {
		return res, &InvalidImportError{Document: map[string]string{"mode": "must be upsert or create"}}
	}
	entries, err := readDocument(r)
	if err != nil {
		return res, err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin import: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := sqlcgen.New(tx)
	res.Jobs, err = planImport(ctx, q, entries, opts.Mode, time.Now())
	if err != nil {
		return res, err
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
		return res, nil
	}
	if err := applyImport(ctx, q, res.Jobs, opts.Actor); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit import: %w", err)
	}
	return res, nil
}

// readDocument reads an export document's envelope, leaving its jobs to be checked one by one.
func readDocument(r io.Reader) ([]json.RawMessage, error) {
	var doc struct {
		Version json.RawMessage   `json:"version"`
		Jobs    []json.RawMessage `json:"jobs"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		if p := fieldTypeProblem(err); p != nil {
			return nil, &InvalidImportError{Document: p}
		}
		return nil, &UnreadableImportError{Err: err}
	}
	if dec.More() {
		return nil, &UnreadableImportError{Err: fmt.Errorf("unexpected data after the document")}
	}
	switch {
	case !present(doc.Version):
		return nil, &InvalidImportError{Document: map[string]string{"version": "is required (an export has version 1)"}}
	case string(doc.Version) != fmt.Sprint(transferVersion):
		return nil, &InvalidImportError{Document: map[string]string{"version": fmt.Sprintf("must be %d", transferVersion)}}
	case doc.Jobs == nil:
		return nil, &InvalidImportError{Document: map[string]string{"jobs": "is required: a list of jobs"}}
	}
	return doc.Jobs, nil
}
