package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
)

// addRoutes is the whole URL map.
func addRoutes(e *echo.Echo, d Deps) {
	q := d.Queries

	e.GET("/healthz", handleHealthz())
	e.GET("/readyz", handleReadyz(d.ReadyFunc))

	api := e.Group("/api")
	api.POST("/jobs", handleAPIJobCreate(q))
	api.POST("/create", handleAPILegacyCreate(q))
	api.GET("/jobs", handleAPIJobList(q))
	api.GET("/jobs/:id", handleAPIJobGet(q))
	api.PUT("/jobs/:id", handleAPIJobUpdate(q))
	api.DELETE("/jobs/:id", handleAPIJobDelete(q))
	api.POST("/jobs/:id/run", handleAPIJobRun(q, d.Publisher))
	api.POST("/jobs/:id/pause", handleAPIJobPause(q, true))
	api.POST("/jobs/:id/resume", handleAPIJobPause(q, false))
	api.GET("/runs", handleAPIRunList(q))
	api.GET("/runs/:id", handleAPIRunGet(q))
	api.GET("/stats", handleAPIStats(q))

	addPageRoutes(e, q)
}

// addPageRoutes adds the dashboard's pages and the assets they use.
func addPageRoutes(e *echo.Echo, q *sqlcgen.Queries) {
	e.GET("/", handleHomePage(q))
}
