package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
)

// previewJobs is how many of the jobs an import changes its preview lists.
const previewJobs = 100

// maxUploadBytes is the largest document the dashboard imports: its form is read in memory, up to
// 32 MiB. Larger documents go through POST /api/import or cronflow import.
const maxUploadBytes = 32 << 20

// handleJobsImportPage serves GET /jobs/import, the form that uploads a document to import.
func handleJobsImportPage() echo.HandlerFunc {
	return func(c echo.Context) error {
		return render(c, http.StatusOK, views.ImportPage(newPage(c, "Import jobs", "jobs"), views.ImportView{Mode: store.ImportUpsert}))
	}
}

// handleJobsImport serves POST /jobs/import. An uploaded document is checked and previewed, which
// stores nothing; the preview's confirmation sends the document back with confirm=true and imports
// it. A document that cannot be imported is shown with its problems and 422.
func handleJobsImport(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := views.ImportView{Mode: c.FormValue("mode"), FileName: c.FormValue("file_name")}
		page := func(status int) error {
			return render(c, status, views.ImportPage(newPage(c, "Import jobs", "jobs"), v))
		}
		doc, problem := uploadedDocument(c, &v)
		if problem != "" {
			v.Error = problem
			return page(http.StatusUnprocessableEntity)
		}
		confirm := c.FormValue("confirm") == "true"
		opts, problems := importOptions(c, v.Mode, strconv.FormatBool(!confirm))
		if len(problems) > 0 {
			v.Error = "Choose whether jobs with a name that exists already are updated or created anew."
			return page(http.StatusUnprocessableEntity)
		}
		res, err := st.Import(c.Request().Context(), auditActor(c), bytes.NewReader(doc), opts)
		var invalid *store.InvalidImportError
		var unreadable *store.UnreadableImportError
		switch {
		case errors.As(err, &invalid) && len(invalid.Document) > 0:
			v.Error = "This file is not a Cronflow export: " + invalid.Error() + "."
		case errors.As(err, &invalid):
			v.Problems = toProblemRows(invalid.Jobs)
		case errors.As(err, &unreadable):
			v.Error = "This file is not JSON: " + unreadable.Err.Error() + "."
		case errors.Is(err, store.ErrImportBusy):
			v.Error = importBusy
			return page(http.StatusTooManyRequests)
		case err != nil:
			return err
		case confirm:
			return redirectAfter(c, "/jobs", fmt.Sprintf("Imported %s: %d jobs created, %d updated, %d unchanged.",
				v.FileName, res.Created, res.Updated, res.Unchanged))
		default:
			previewImport(&v, doc, res)
			return page(http.StatusOK)
		}
		return page(http.StatusUnprocessableEntity)
	}
}

// uploadedDocument is the document of the request: the uploaded file, or the one a preview sent
// back. It answers a problem in words when there is none to read.
func uploadedDocument(c echo.Context, v *views.ImportView) ([]byte, string) {
	if text := c.FormValue("document_text"); text != "" {
		return []byte(text), ""
	}
	fh, err := c.FormFile("document")
	if err != nil {
		return nil, "Choose a file to import."
	}
	if fh.Size > maxUploadBytes {
		return nil, "The file is larger than 32 MiB: import it with the API (POST /api/import) or cronflow import."
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "The file cannot be read: " + err.Error()
	}
	defer f.Close()
	doc, err := io.ReadAll(f)
	if err != nil {
		return nil, "The file cannot be read: " + err.Error()
	}
	v.FileName = fh.Filename
	return doc, ""
}

// previewImport fills the preview of a dry run: the counts, and the first jobs that change.
func previewImport(v *views.ImportView, doc []byte, res store.ImportResult) {
	v.Document = string(doc)
	v.Created, v.Updated, v.Unchanged = res.Created, res.Updated, res.Unchanged
	for _, j := range res.Jobs {
		if j.Action == "unchanged" {
			continue
		}
		if len(v.Jobs) == previewJobs {
			v.More++
			continue
		}
		v.Jobs = append(v.Jobs, views.ImportJobRow{Name: j.Name, Action: j.Action, Changes: toAuditChanges(j.Changes, nil)})
	}
}

// toProblemRows lists an invalid document's jobs for the import page, each one's fields in order.
func toProblemRows(problems []store.ImportProblem) []views.ImportProblemRow {
	rows := make([]views.ImportProblemRow, len(problems))
	for i, p := range problems {
		rows[i] = views.ImportProblemRow{Index: p.Index, Name: p.Name}
		for _, field := range slices.Sorted(maps.Keys(p.Fields)) {
			rows[i].Problems = append(rows[i].Problems, views.AuditChange{Field: field, From: p.Fields[field]})
		}
	}
	return rows
}
