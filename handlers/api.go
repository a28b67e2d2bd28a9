package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// The JSON API's shared request readers and answers: bodies, ids, pages and 422s by field.

// decodeJSON reads a JSON body into v. A body not sent as application/json is a 415; one that is not
// JSON, has more after the value, or nests deeper than store.MaxJSONDepth, is a 400; a value of the
// wrong type for a field, or a field that v does not have, is a problem with that field, for a 422: a
// misspelt field must not be dropped in silence, or a client cannot tell a typo from a setting.
func decodeJSON(c echo.Context, v any) (map[string]string, error) {
	if err := requireJSON(c); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBodyBytes))
	if err == nil && store.JSONDepth(body) > store.MaxJSONDepth {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The request body "+store.TooDeepProblem+"; nothing was stored.")
	}
	if err == nil {
		err = decodeStrict(body, v, true)
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &tooLarge) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	case store.FieldTypeProblem(err) != nil || store.IsUnknownField(err):
		// The decoder reads on past a problem but names only the first: a second reading that lets
		// unknown fields pass finds a wrong type behind one, so that the answer names them all.
		problems := store.UnknownFields(body, err, v)
		maps.Copy(problems, store.FieldTypeProblem(decodeStrict(body, v, false)))
		return problems, nil
	default:
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The request body is not valid JSON: "+err.Error())
	}
}

// decodeStrict decodes one JSON value from body into v, refusing anything after the value, and
// fields v does not have if strict.
func decodeStrict(body []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	return err
}

// requireJSON refuses, 415, a body not sent as application/json: a page on another site can post
// a form or text/plain without asking first, but not JSON.
func requireJSON(c echo.Context) error {
	if !isJSON(c.Request().Header.Get(echo.HeaderContentType)) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the body as JSON, with Content-Type: application/json.")
	}
	return nil
}

// decodeOrReject reads a JSON body into v as decodeJSON does, and answers a body with problems by
// field itself, 422 naming what ("user", "token", "secret"). ok is false when the request has been
// answered or failed, so a handler returns err at once.
func decodeOrReject(c echo.Context, v any, what string) (ok bool, err error) {
	problems, err := decodeJSON(c, v)
	if err != nil {
		return false, err
	}
	if len(problems) > 0 {
		return false, invalidInput(c, what, problems)
	}
	return true, nil
}

// invalid answers 422 with the problems by field.
func invalid(c echo.Context, problems map[string]string) error {
	return invalidInput(c, "job", problems)
}

// invalidInput answers 422 with the problems of what ("job", "user", "token", "secret") by field.
func invalidInput(c echo.Context, what string, problems map[string]string) error {
	return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The " + what + " is not valid; see fields.", Fields: problems})
}

// badQuery answers 422 with the problems by query parameter.
func badQuery(c echo.Context, problems map[string]string) error {
	return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "Bad query parameters; see fields.", Fields: problems})
}

// pathID reads the {id} path parameter; anything but a positive number is a 404.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "Not found: there is no such id.")
	}
	return id, nil
}

// pathJob reads the job that the path's id names; an unknown id is a 404 (see the error handler).
func pathJob(c echo.Context, q *sqlcgen.Queries) (sqlcgen.Job, error) {
	id, err := pathID(c)
	if err != nil {
		return sqlcgen.Job{}, err
	}
	return q.JobGet(c.Request().Context(), id)
}

// pathUser reads the user that the path's id names; an unknown id is a 404.
func pathUser(c echo.Context, q *sqlcgen.Queries) (sqlcgen.User, error) {
	id, err := pathID(c)
	if err != nil {
		return sqlcgen.User{}, err
	}
	return q.UserGet(c.Request().Context(), id)
}

// pathChannel reads the notification channel that the path's id names; an unknown id is a 404.
func pathChannel(c echo.Context, q *sqlcgen.Queries) (sqlcgen.Channel, error) {
	id, err := pathID(c)
	if err != nil {
		return sqlcgen.Channel{}, err
	}
	return q.ChannelGet(c.Request().Context(), id)
}

// pageParams reads limit (1 to 500, default 50) and a keyset cursor parameter.
func pageParams(c echo.Context, cursorName string) (int, int64, map[string]string) {
	problems := map[string]string{}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			problems["limit"] = "must be a whole number from 1 to 500"
		}
		limit = n
	}
	var cursor int64
	if v := c.QueryParam(cursorName); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			problems[cursorName] = "must be an id"
		}
		cursor = n
	}
	return limit, cursor, problems
}

// newestPageParams reads limit, before and job_id for a list newest first, as runs and the audit
// log are: no before is the newest page, and a jobID of 0 is every job.
func newestPageParams(c echo.Context) (limit int, before, jobID int64, problems map[string]string) {
	limit, before, problems = pageParams(c, "before")
	if before <= 0 {
		before = math.MaxInt64
	}
	if v := c.QueryParam("job_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			problems["job_id"] = "must be a job id"
		}
		jobID = id
	}
	return limit, before, jobID, problems
}

// listJSON answers 200 with {key: every row as JSON}, the shape of the API's plain lists.
func listJSON[R, J any](c echo.Context, key string, rows []R, toJSON func(R) J) error {
	out := make([]J, len(rows))
	for i, r := range rows {
		out[i] = toJSON(r)
	}
	return c.JSON(http.StatusOK, map[string][]J{key: out})
}

// itoa64 writes an id for a URL or a header.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
