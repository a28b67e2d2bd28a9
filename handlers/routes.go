package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
)

// addRoutes is the whole URL map.
func addRoutes(e *echo.Echo, d Deps, a *auth) {
	q := d.Queries

	addHealthRoutes(e, d.ReadyFunc, d.Metrics, a)

	e.GET("/login", handleLoginPage())
	e.POST("/login", handleLogin(a))
	e.POST("/logout", handleLogout(a))
	e.GET("/settings/tokens", handleTokensPage(q), pageHeaders)
	e.POST("/settings/tokens", handleTokenCreate(q), pageHeaders)
	e.POST("/settings/tokens/:id/revoke", handleTokenRevoke(q), pageHeaders)

	api := e.Group("/api")
	creating := jobCreationLimit(d.JobsPerMinute)
	api.POST("/jobs", handleAPIJobCreate(q), creating)
	api.POST("/create", handleAPILegacyCreate(q), creating)
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

	addPageRoutes(e, d)
}

// addHealthRoutes adds the checks and metrics that the full server and a consumers-only replica's
// health server both answer; metrics nil leaves /metrics out.
func addHealthRoutes(e *echo.Echo, ready func(ctx context.Context) map[string]string, metrics http.Handler, a *auth) {
	e.GET("/healthz", handleHealthz())
	e.GET("/readyz", handleReadyz(ready))
	if metrics != nil {
		e.GET("/metrics", handleMetrics(a, metrics))
	}
}

// addPageRoutes adds the dashboard's pages, the fragments htmx asks for, and the assets they use.
// State changes are POSTs that work as plain form posts; see pageHeaders for what every page gets.
func addPageRoutes(e *echo.Echo, d Deps) {
	q := d.Queries
	stats := newStatsCache(q, d.Logger)
	get := func(path string, h echo.HandlerFunc) { e.GET(path, h, pageHeaders) }
	post := func(path string, h echo.HandlerFunc) { e.POST(path, h, pageHeaders) }

	e.GET("/assets/*", handleAssets())

	get("/", handleHomePage(q, stats))
	get("/home/stats", handleHomeStats(q, stats)) // the fragment the home page polls

	get("/jobs", handleJobsPage(q))
	post("/jobs", handleJobCreate(q))
	get("/jobs/new", handleJobNewPage(q)) // ?from={id} clones a job
	get("/jobs/schedule", handleJobSchedulePreview())
	get("/jobs/task-fields", handleJobTaskFields())
	get("/jobs/:id", handleJobPage(q))
	post("/jobs/:id", handleJobUpdate(q))
	get("/jobs/:id/edit", handleJobEditPage(q))
	post("/jobs/:id/run", handleJobRun(q, d.Publisher))
	post("/jobs/:id/pause", handleJobPause(q, true))
	post("/jobs/:id/resume", handleJobPause(q, false))
	get("/jobs/:id/delete", handleJobDeleteConfirm(q))
	post("/jobs/:id/delete", handleJobDelete(q))

	get("/runs", handleRunsPage(q))
	get("/runs/table", handleRunsTable(q)) // the fragment the runs tables poll
	get("/runs/:id", handleRunPage(q))
}
