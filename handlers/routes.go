package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"context"
	"net/http"

	"github.com/labstack/echo/v4"
)

// addRoutes is the whole URL map.
func addRoutes(e *echo.Echo, d Deps, a *auth) {
	q := d.Queries

	addHealthRoutes(e, d.ReadyFunc, d.Metrics, a)

	e.GET("/login", handleLoginPage(a))
	e.POST("/login", handleLogin(a))
	e.POST("/logout", handleLogout(a))
	addSignInRoutes(e, a)
	e.GET("/settings/tokens", handleTokensPage(q), pageHeaders)
	e.POST("/settings/tokens", handleTokenCreate(q, a.store), pageHeaders)
	e.POST("/settings/tokens/:id/revoke", handleTokenRevoke(a.store), pageHeaders)
	addAccountRoutes(e, a)

	api := e.Group("/api")
	api.GET("/openapi.json", handleAPIOpenAPI())
	lim := routeLimits{
		create: perUserLimit(d.JobsPerMinute, "jobs created"),
		runNow: perUserLimit(d.RunNowPerMinute, "runs started by hand"),
		test:   perUserLimit(d.RunNowPerMinute, "test requests"),
	}
	api.POST("/jobs", handleAPIJobCreate(a.store), lim.create)
	api.POST("/create", handleAPILegacyCreate(a.store), lim.create)
	api.POST("/jobs/test", handleAPIJobTest(a.store, d.Tester), lim.test)
	api.GET("/jobs", handleAPIJobList(q))
	api.GET("/jobs/:id", handleAPIJobGet(q, a.store))
	api.PUT("/jobs/:id", handleAPIJobUpdate(q, a.store))
	api.DELETE("/jobs/:id", handleAPIJobDelete(a.store))
	api.POST("/jobs/:id/run", handleAPIJobRun(q, a.store, d.Publisher), lim.runNow)
	api.POST("/jobs/:id/backfill", handleAPIJobBackfill(a.store, d.Publisher), lim.runNow)
	api.POST("/jobs/:id/pause", handleAPIJobPause(a.store, true))
	api.POST("/jobs/:id/resume", handleAPIJobPause(a.store, false))
	api.POST("/jobs/bulk", handleAPIJobsBulk(q, a.store, d.Publisher)) // issue 27
	api.GET("/runs", handleAPIRunList(q))
	api.POST("/runs/retry", handleAPIRunRetryMany(q, a.store, d.Publisher))
	api.POST("/runs/bulk", handleAPIRunsBulk(q, a.store, d.Publisher)) // issue 27
	api.GET("/runs/:id", handleAPIRunGet(q))
	api.POST("/runs/:id/retry", handleAPIRunRetry(q, a.store, d.Publisher))
	api.POST("/channels", handleAPIChannelCreate(a.store))
	api.GET("/channels", handleAPIChannelList(q))
	api.GET("/channels/:id", handleAPIChannelGet(q, a.store))
	api.PUT("/channels/:id", handleAPIChannelUpdate(q, a.store))
	api.DELETE("/channels/:id", handleAPIChannelDelete(a.store))
	api.POST("/channels/:id/test", handleAPIChannelTest(q, d.Channels))
	api.POST("/channels/:id/signing-secret/rotate", handleAPIChannelRotateSecret(a.store))
	api.POST("/jobs/:id/signing-secret/rotate", handleAPIJobRotateSecret(a.store))
	api.GET("/stats", handleAPIStats(q))
	api.GET("/schedule/preview", handleAPISchedulePreview())
	addSecretRoutes(e, api, secrets{q: q, st: a.store})
	api.GET("/users", handleAPIUserList(q))
	api.POST("/users", handleAPIUserCreate(q, a.store))
	api.PUT("/users/:id", handleAPIUserUpdate(a))
	api.DELETE("/users/:id", handleAPIUserDelete(a))
	api.GET("/tokens", handleAPITokenList(q))
	api.POST("/tokens", handleAPITokenCreate(a.store))
	api.DELETE("/tokens/:id", handleAPITokenRevoke(a.store))
	api.GET("/audit", handleAPIAuditList(q))
	api.GET("/export", handleAPIExport(a.store))
	api.POST("/import", handleAPIImport(a.store), lim.create) // one import counts as one creation

	addPageRoutes(e, d, a.store, lim)
}

// routeLimits are the per-user limits that the API and the dashboard share.
type routeLimits struct {
	// test limits "Send a test request" (issue 27), which reaches out as a run does.
	create, runNow, test echo.MiddlewareFunc
}

// addAccountRoutes adds the pages where people see to themselves and admins to users: who may use
// them is in routeAccess.
func addAccountRoutes(e *echo.Echo, a *auth) {
	get := func(path string, h echo.HandlerFunc) { e.GET(path, h, pageHeaders) }
	post := func(path string, h echo.HandlerFunc) { e.POST(path, h, pageHeaders) }
	get("/settings/account", handleAccountPage(a))
	post("/settings/password", handlePasswordChange(a))
	post("/settings/sessions/end-all", handleSessionEndAll(a))
	post("/settings/sessions/end-others", handleSessionEndOthers(a))
	post("/settings/sessions/:id/end", handleSessionEnd(a))
	get("/settings/users", handleUsersPage(a.q))
	post("/settings/users", handleUserCreate(a.q, a.store))
	get("/settings/users/:id", handleUserPage(a))
	post("/settings/users/:id", handleUserUpdate(a))
	post("/settings/users/:id/delete", handleUserDelete(a))
}

// addSignInRoutes adds single sign-on, the second step of a login, and the second factors'
// enrolment (issue 24).
func addSignInRoutes(e *echo.Echo, a *auth) {
	if a.oidc != nil {
		e.GET("/login/oidc", handleOIDCStart(a))
		e.GET("/login/oidc/callback", handleOIDCCallback(a))
	}
	e.GET("/login/second-factor", handleSecondFactorPage(a), pageHeaders)
	e.POST("/login/second-factor", handleSecondFactor(a), pageHeaders)
	e.POST("/settings/totp", handleTOTPStart(a), pageHeaders)
	e.POST("/settings/totp/confirm", handleTOTPConfirm(a), pageHeaders)
	e.POST("/settings/totp/delete", handleTOTPDelete(a), pageHeaders)
	e.POST("/settings/users/:id/factors/reset", handleUserFactorsReset(a), pageHeaders)
	e.POST("/api/account/totp", handleAPITOTPStart(a))
	e.POST("/api/account/totp/confirm", handleAPITOTPConfirm(a))
	e.DELETE("/api/account/totp", handleAPITOTPDelete(a))
	e.DELETE("/api/users/:id/factors", handleAPIUserFactorsReset(a))
	if a.passkeys != nil {
		addPasskeyRoutes(e, a)
	}
}

// addPasskeyRoutes adds the WebAuthn ceremonies (each a begin and a finish) and a passkey's removal.
func addPasskeyRoutes(e *echo.Echo, a *auth) {
	e.POST("/login/passkey/begin", handlePasskeyLoginBegin(a))
	e.POST("/login/passkey/finish", handlePasskeyLoginFinish(a))
	e.POST("/login/second-factor/passkey/begin", handlePasskeyFactorBegin(a))
	e.POST("/login/second-factor/passkey/finish", handlePasskeyFactorFinish(a))
	e.POST("/settings/passkeys/begin", handlePasskeyRegisterBegin(a))
	e.POST("/settings/passkeys/finish", handlePasskeyRegisterFinish(a))
	e.POST("/settings/passkeys/:id/delete", handlePasskeyDelete(a), pageHeaders)
}

// addSecretRoutes adds the secrets' API and page.
func addSecretRoutes(e *echo.Echo, api *echo.Group, s secrets) {
	api.GET("/secrets", handleAPISecretList(s))
	api.POST("/secrets", handleAPISecretCreate(s))
	api.PUT("/secrets/:name", handleAPISecretUpdate(s))
	api.DELETE("/secrets/:name", handleAPISecretDelete(s))
	e.GET("/secrets", handleSecretsPage(s), pageHeaders)
	e.POST("/secrets", handleSecretCreate(s), pageHeaders)
	e.POST("/secrets/:name", handleSecretUpdate(s), pageHeaders)
	e.POST("/secrets/:name/delete", handleSecretDelete(s), pageHeaders)
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
func addPageRoutes(e *echo.Echo, d Deps, st *store.Store, lim routeLimits) {
	q := d.Queries
	stats := newStatsCache(q, d.Logger)
	get := func(path string, h echo.HandlerFunc) { e.GET(path, h, pageHeaders) }
	post := func(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		e.POST(path, h, append([]echo.MiddlewareFunc{pageHeaders}, m...)...)
	}

	e.GET("/assets/*", handleAssets())

	get("/", handleHomePage(q, stats))
	get("/home/stats", handleHomeStats(q, stats)) // the fragment the home page polls

	get("/jobs", handleJobsPage(q))
	post("/jobs", handleJobCreate(q, st), lim.create)
	post("/jobs/bulk", handleJobsBulk(q, st, d.Publisher)) // issue 27: asks, then acts
	get("/jobs/new", handleJobNewPage(q))                  // ?from={id} clones a job
	get("/jobs/export", handleJobsExport(st))
	get("/jobs/import", handleJobsImportPage())
	post("/jobs/import", handleJobsImport(st), lim.create)
	get("/jobs/schedule", handleJobSchedulePreview())
	get("/jobs/task-fields", handleJobTaskFields())
	post("/jobs/summary", handleJobSummary())
	post("/jobs/test", handleJobTest(q, st, d.Tester), lim.test)
	get("/jobs/:id", handleJobPage(q, st))
	get("/jobs/:id/live", handleJobLive(q)) // the job page's poll
	post("/jobs/:id", handleJobUpdate(q, st))
	get("/jobs/:id/edit", handleJobEditPage(q))
	post("/jobs/:id/run", handleJobRun(q, st, d.Publisher), lim.runNow)
	post("/jobs/:id/pause", handleJobPause(q, st, true))
	post("/jobs/:id/resume", handleJobPause(q, st, false))
	get("/jobs/:id/delete", handleJobDeleteConfirm(q))
	get("/jobs/:id/backfill", handleJobBackfillPage(q)) // the backfill form and its preview (issue 27)
	post("/jobs/:id/backfill", handleJobBackfill(st, d.Publisher), lim.runNow)
	post("/jobs/:id/delete", handleJobDelete(st))
	post("/jobs/:id/signing-secret/rotate", handleJobRotateSecret(q, st))

	get("/audit", handleAuditPage(q))
	get("/runs", handleRunsPage(q))
	get("/runs/table", handleRunsTable(q))                  // the fragment the runs tables poll
	post("/runs/retry", handleRunsBulk(q, st, d.Publisher)) // the older address of /runs/bulk
	post("/runs/bulk", handleRunsBulk(q, st, d.Publisher))  // issue 27: asks, then acts
	get("/runs/job-options", handleRunsJobOptions(q))
	get("/runs/:id", handleRunPage(q))
	post("/runs/:id/retry", handleRunRetry(q, st, d.Publisher))

	get("/channels", handleChannelsPage(q))
	post("/channels", handleChannelCreate(q, st))
	get("/channels/:id", handleChannelPage(q))
	post("/channels/:id", handleChannelUpdate(q, st))
	post("/channels/:id/test", handleChannelTest(q, d.Channels))
	post("/channels/:id/delete", handleChannelDelete(st))
}
