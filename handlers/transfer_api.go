package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cronflow/cronflow/queries/store"
)

// An import's document may be up to 64 MiB; every other request body stays limited to 1 MiB.
const (
	maxImport      = "64MiB"
	maxImportBytes = 64 << 20
)

// bodyLimit answers 413 to a request body over its limit: 64 MiB for an import, 1 MiB otherwise.
// It comes before anything reads a body (the CSRF check reads forms).
func bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	small, large := middleware.BodyLimit(maxBody)(next), middleware.BodyLimit(maxImport)(next)
	return func(c echo.Context) error {
		if importPath(c) {
			return large(c)
		}
		return small(c)
	}
}

// importPath reports whether a request takes a document to import, and so the larger body limit.
func importPath(c echo.Context) bool {
	p := c.Request().URL.Path
	return c.Request().Method == http.MethodPost && (p == "/api/import" || p == "/jobs/import")
}

// bodyLimitWords is the body limit of a request, in words.
func bodyLimitWords(c echo.Context) string {
	if importPath(c) {
		return "64 MiB"
	}
	return "1 MiB"
}

// handleAPIExport serves GET /api/export: every job, as an export document.
func handleAPIExport(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
		return st.Export(c.Request().Context(), c.Response())
	}
}

// importBusy answers an import while another runs: one import at a time per process.
const importBusy = "Another import is running; try again when it has finished (one import runs at a time)."

// handleAPIImport serves POST /api/import?mode=upsert|create&dry_run=true: it imports an export
// document, 200 with {"created", "updated", "unchanged"}; any invalid job refuses the document with
// 422 (see importRefusal), and nothing is stored. A document over store.MaxImportJobs jobs is a
// 422 on "jobs"; an import while another runs is a 429.
func handleAPIImport(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := requireJSON(c); err != nil {
			return err
		}
		opts, problems := importOptions(c, c.QueryParam("mode"), c.QueryParam("dry_run"))
		if len(problems) > 0 {
			return badQuery(c, problems)
		}
		body := http.MaxBytesReader(c.Response(), c.Request().Body, maxImportBytes)
		res, err := st.Import(c.Request().Context(), auditActor(c), body, opts)
		var invalid *store.InvalidImportError
		switch {
		case errors.As(err, &invalid) && len(invalid.Document) > 0:
			return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The document is not an export; see fields.", Fields: invalid.Document})
		case errors.As(err, &invalid):
			return c.JSON(http.StatusUnprocessableEntity, importRefusal{Error: invalid.Error(),
				Fields: importFields(invalid.Jobs), Errors: invalid.Jobs})
		case err != nil:
			return importReadError(err)
		}
		return c.JSON(http.StatusOK, res)
	}
}

// importRefusal is the answer to a document with invalid jobs: the API's error shape, its fields
// named by the job's place in the document ("jobs[3].cron"), and the same problems job by job in
// errors, with each job's name.
type importRefusal struct {
	Error  string                `json:"error"`
	Fields map[string]string     `json:"fields"`
	Errors []store.ImportProblem `json:"errors"`
}

// importFields lists every job's problems by one field name each.
func importFields(jobs []store.ImportProblem) map[string]string {
	fields := map[string]string{}
	for _, j := range jobs {
		for name, problem := range j.Fields {
			fields[fmt.Sprintf("jobs[%d].%s", j.Index, name)] = problem
		}
	}
	return fields
}

// importReadError turns an import's failure to read its document into the answer: 413 over the
// limit, 400 for a document that is not JSON, 429 while another import runs, and the error itself
// otherwise.
func importReadError(err error) error {
	var tooLarge *http.MaxBytesError
	var unreadable *store.UnreadableImportError
	switch {
	case errors.Is(err, store.ErrImportBusy):
		return echo.NewHTTPError(http.StatusTooManyRequests, importBusy)
	case errors.As(err, &tooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	case errors.As(err, &unreadable):
		return echo.NewHTTPError(http.StatusBadRequest, "The document is not valid JSON: "+unreadable.Err.Error())
	}
	return err
}

// importOptions reads an import's mode and dry-run flag, with the problems by field.
func importOptions(c echo.Context, mode, dryRun string) (store.ImportOptions, map[string]string) {
	problems := map[string]string{}
	opts := store.ImportOptions{Mode: mode}
	if mode == "" {
		opts.Mode = store.ImportUpsert
	} else if mode != store.ImportUpsert && mode != store.ImportCreate {
		problems["mode"] = "must be upsert or create"
	}
	if dryRun != "" {
		b, err := strconv.ParseBool(dryRun)
		if err != nil {
			problems["dry_run"] = "must be true or false"
		}
		opts.DryRun = b
	}
	return opts, problems
}

// handleJobsExport serves GET /jobs/export, the dashboard's Export: the document as a download.
func handleJobsExport(st *store.Store) echo.HandlerFunc {
	api := handleAPIExport(st)
	return func(c echo.Context) error {
		name := "cronflow-jobs-" + time.Now().UTC().Format("2006-01-02") + ".json"
		c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
		return api(c)
	}
}
