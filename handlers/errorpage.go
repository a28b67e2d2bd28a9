package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
)

// renderError answers a dashboard request that failed: a whole page inside the layout for a page
// load, the error panel alone for htmx (which app.js shows where the page keeps its messages). Either
// way the person reads what happened and gets a link to the nearest page that works.
func renderError(c echo.Context, code int, msg string) error {
	e := errorView(c.Request().URL.Path, code, msg)
	if isHTMX(c) {
		return render(c, code, views.ErrorPanel(e))
	}
	return render(c, code, views.ErrorPage(newPage(c, e.Title, ""), e))
}

// errorView words an error for the page at path. Echo's own messages ("Not Found") are replaced by
// sentences; the handlers' messages are sentences already.
func errorView(path string, code int, msg string) views.ErrorView {
	e := views.ErrorView{Status: code, Title: "Something went wrong", Message: msg, BackURL: "/", BackLabel: "Go to the dashboard"}
	thing := "page"
	switch {
	case strings.HasPrefix(path, "/jobs/"):
		e.BackURL, e.BackLabel, thing = "/jobs", "Go to the jobs", "job"
	case strings.HasPrefix(path, "/runs/"):
		e.BackURL, e.BackLabel, thing = "/runs", "Go to the runs", "run"
	}
	switch code {
	case http.StatusNotFound:
		e.Title = "Not found"
		if msg == http.StatusText(code) {
			e.Message = "There is no page at this address. It may have been moved or deleted."
		} else if rest, ok := strings.CutPrefix(msg, "Not found: "); ok {
			e.Message = "There is no such " + thing + ": " + rest
		}
	case http.StatusForbidden:
		e.Title = "Not allowed"
	case http.StatusMethodNotAllowed:
		e.Title, e.Message = "Not allowed", "This address cannot be used that way. Follow a link or a button instead."
	case http.StatusTooManyRequests:
		e.Title = "Too many requests"
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		e.Title = "The request cannot be used"
	}
	if e.Message == http.StatusText(code) {
		e.Message = "The request cannot be answered (" + strings.ToLower(e.Message) + ")."
	}
	return e
}
