package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
)

// role is what a user or an API token may do; the store defines the roles and their order.
type role = store.Role

// The roles, as the route rules name them.
const (
	roleViewer = store.RoleViewer
	roleEditor = store.RoleEditor
	roleAdmin  = store.RoleAdmin
)

// credential is how a request proved who it acts for.
type credential int

const (
	credNone    credential = iota // authentication is off
	credSession                   // the dashboard's session cookie
	credBasic                     // HTTP Basic: a name and password
	credToken                     // an API bearer token
)

// principal is who a request acts for, and with which role.
type principal struct {
	UserID int64
	Name   string
	Role   role
	Via    credential
	// Token is the name of the API token the request came with, if Via is credToken.
	Token string
	// SessionID is the session the request came with, if Via is credSession.
	SessionID int64
	// Stage and Method are the session's: what it must still do to sign in ("done" when nothing),
	// and how it signed in.
	Stage, Method string
}

// principalKey is where the auth middleware leaves the request's principal in the echo.Context.
const principalKey = "cronflow_principal"

// currentPrincipal is who the request acts for. With authentication off, nobody logs in and
// everyone is an admin: Cronflow then answers on loopback only.
func currentPrincipal(c echo.Context) principal {
	if p, ok := c.Get(principalKey).(principal); ok {
		return p
	}
	return principal{Role: roleAdmin, Via: credNone}
}

// callerOf is the request's principal as the store asks for it in changes to users and tokens.
func callerOf(c echo.Context) store.Caller {
	p := currentPrincipal(c)
	return store.Caller{UserID: p.UserID, SessionID: p.SessionID, Name: p.Name, Role: p.Role}
}

// access is who may use a route.
type access struct {
	min role
	// password asks for a session or HTTP Basic and refuses a bearer token, so that a leaked token
	// cannot make new tokens or users for itself, nor end its owner's sessions.
	password bool
}

// routeAccess names the routes that need something else than the default, by method and path as
// registered: reading needs a viewer, every change an editor.
var routeAccess = map[string]access{
	// The job form shows a job's secrets as they are stored, to be edited: an editor's tool. So
	// does an export, of every job; an import changes jobs.
	"GET /jobs/new":      {min: roleEditor},
	"GET /jobs/:id/edit": {min: roleEditor},
	"GET /jobs/export":   {min: roleEditor},
	"GET /api/export":    {min: roleEditor},
	"GET /jobs/import":   {min: roleEditor},
	// The backfill form's preview leads to making runs (issue 27).
	"GET /jobs/:id/backfill": {min: roleEditor},

	"POST /logout":                       {min: roleViewer},
	"GET /settings/account":              {min: roleViewer, password: true},
	"POST /settings/password":            {min: roleViewer, password: true},
	"POST /settings/sessions/:id/end":    {min: roleViewer, password: true},
	"POST /settings/sessions/end-all":    {min: roleViewer, password: true},
	"POST /settings/sessions/end-others": {min: roleViewer, password: true},

	// Issue 24: the second step of a login, and one's own second factors, which a token cannot touch.
	"POST /login/second-factor":                {min: roleViewer, password: true},
	"POST /login/second-factor/passkey/begin":  {min: roleViewer, password: true},
	"POST /login/second-factor/passkey/finish": {min: roleViewer, password: true},
	"POST /settings/totp":                      {min: roleViewer, password: true},
	"POST /settings/totp/confirm":              {min: roleViewer, password: true},
	"POST /settings/totp/delete":               {min: roleViewer, password: true},
	"POST /settings/passkeys/begin":            {min: roleViewer, password: true},
	"POST /settings/passkeys/finish":           {min: roleViewer, password: true},
	"POST /settings/passkeys/:id/delete":       {min: roleViewer, password: true},
	"POST /api/account/totp":                   {min: roleViewer, password: true},
	"POST /api/account/totp/confirm":           {min: roleViewer, password: true},
	"DELETE /api/account/totp":                 {min: roleViewer, password: true},
	"POST /settings/users/:id/factors/reset":   {min: roleAdmin, password: true},
	"DELETE /api/users/:id/factors":            {min: roleAdmin, password: true},

	"GET /settings/tokens":             {min: roleAdmin, password: true},
	"POST /settings/tokens":            {min: roleAdmin, password: true},
	"POST /settings/tokens/:id/revoke": {min: roleAdmin, password: true},
	"GET /settings/users":              {min: roleAdmin, password: true},
	"POST /settings/users":             {min: roleAdmin, password: true},
	"GET /settings/users/:id":          {min: roleAdmin, password: true},
	"POST /settings/users/:id":         {min: roleAdmin, password: true},
	"POST /settings/users/:id/delete":  {min: roleAdmin, password: true},
	"GET /api/tokens":                  {min: roleAdmin, password: true},
	"POST /api/tokens":                 {min: roleAdmin, password: true},
	"DELETE /api/tokens/:id":           {min: roleAdmin, password: true},
	"GET /api/users":                   {min: roleAdmin, password: true},
	"POST /api/users":                  {min: roleAdmin, password: true},
	"PUT /api/users/:id":               {min: roleAdmin, password: true},
	"DELETE /api/users/:id":            {min: roleAdmin, password: true},
}

// routeAccessFor is the access rule of the request's route.
func routeAccessFor(c echo.Context) access {
	if a, ok := routeAccess[c.Request().Method+" "+c.Path()]; ok {
		return a
	}
	if safeMethod(c.Request().Method) {
		return access{min: roleViewer}
	}
	return access{min: roleEditor}
}

// authorize refuses a request whose principal may not use its route: 403, with a JSON error for
// the API. It runs after authentication, and tells pages the principal's role, so that they show
// only what it may do.
func (a *auth) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := currentPrincipal(c)
		ctx := views.WithRole(c.Request().Context(), views.Role{
			Edit: p.Role.AtLeast(roleEditor), Admin: p.Role.AtLeast(roleAdmin) && p.Via != credNone,
		})
		c.SetRequest(c.Request().WithContext(ctx))
		if publicPath(c.Request().URL.Path) {
			return next(c)
		}
		rule := routeAccessFor(c)
		switch {
		case rule.password && p.Via == credNone:
			return echo.NewHTTPError(http.StatusForbidden,
				"This needs authentication: set CRONFLOW_ADMIN_PASSWORD and log in.")
		case rule.password && p.Via == credToken:
			return echo.NewHTTPError(http.StatusForbidden,
				"An API token cannot do this: log in, or send a name and password with HTTP Basic.")
		case !p.Role.AtLeast(rule.min):
			return echo.NewHTTPError(http.StatusForbidden,
				"Your role ("+string(p.Role)+") may not do this; it needs "+string(rule.min)+".")
		}
		return next(c)
	}
}
