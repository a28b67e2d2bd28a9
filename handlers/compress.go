package handlers

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// minCompressed is the smallest answer worth compressing: below it gzip's framing costs more than
// it saves, and empty answers (an HX-Redirect, a 204) stay exactly empty.
const minCompressed = 1024

// compress gzips pages, the fragments htmx polls (the runs table every 2 s is mostly repeated
// markup, a tenth of its size compressed) and the assets, for clients that accept gzip. /metrics
// is left alone: the Prometheus handler compresses by itself. A range request is left alone too,
// because its byte range is of the uncompressed file. Nothing Cronflow serves streams, so buffering
// the first kilobyte to decide is harmless.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		Level:     5,
		MinLength: minCompressed,
		Skipper: func(c echo.Context) bool {
			return c.Request().URL.Path == "/metrics" || c.Request().Header.Get("Range") != ""
		},
	})
}
