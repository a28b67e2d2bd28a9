// Package handlers is Cronflow's HTTP side: the JSON API, the dashboard pages and the health checks,
// all on one Echo server.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// maxBody is the largest request body accepted, 1 MiB; larger ones get 413.
const (
	maxBody      = "1MiB"
	maxBodyBytes = 1 << 20
)

// RunPublisher publishes runs that are stored as queued. The worker's Outbox is one. Publishing
// may fail (the broker is down); the run then stays queued and is published later, so callers do not
// need to know.
type RunPublisher interface {
	Publish(ctx context.Context, msgs []runmsg.Message)
}

// Deps is what the server needs from the rest of Cronflow.
type Deps struct {
	Queries *sqlcgen.Queries
	// DB starts the transactions in which changes are made together with their audit entries.
	DB        store.DB
	Publisher RunPublisher
	// ReadyFunc reports, by component, what keeps the service from being ready; empty means ready.
	ReadyFunc func(ctx context.Context) map[string]string
	Logger    *slog.Logger
	// Auth says whether requests must be authenticated.
	Auth AuthConfig
	// Metrics serves /metrics; nil leaves it out.
	Metrics http.Handler
	// JobsPerMinute limits the jobs one user (or, with authentication off, one client address) may
	// create each minute, through the API and the dashboard together; zero means 60.
	JobsPerMinute int
	// RunNowPerMinute limits the runs one user (or client address) may start by hand each minute;
	// zero means 60.
	RunNowPerMinute int
	// TrustedProxies are the addresses whose X-Forwarded-For and X-Forwarded-Proto are believed.
	// Without any, the client is the connection's peer, and nobody can pose as another address to
	// get round the login limit.
	TrustedProxies []*net.IPNet
	// Secrets seals the values of secrets; nil (no CRONFLOW_SECRET_KEY) refuses to store any.
	Secrets *secret.Keyring
	// Channels sends test notices; nil answers a test with 503.
	Channels ChannelTester
	// Tester runs a job's task once for "Send a test request" (issue 27); nil answers with 503.
	Tester JobTester
	// BrokerStateFunc, if set, says what keeps runs from reaching the broker now ("" when nothing
	// does), for the dashboard's connection state (broker_state.go).
	BrokerStateFunc func() string
}

// JobTester runs a task once, now, as an attempt of a run would (the same executor, target rules
// and secrets), without storing anything; the worker's Tester is one. secrets are the names of the
// secrets the payload uses.
type JobTester interface {
	TestTask(ctx context.Context, taskType string, timeout time.Duration, t task.Task, secrets []string) (output string, err error)
}

// ChannelTester sends a channel a test notice now and returns it as recorded; the worker's
// Notifier is one.
type ChannelTester interface {
	SendTest(ctx context.Context, ch sqlcgen.Channel) (sqlcgen.Notice, error)
}

// NewServer returns the HTTP handler with every route, middleware and the one error handler.
func NewServer(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.IPExtractor, e.SchemeExtractor = echo.ExtractIPDirect(), echo.ExtractSchemeDirect()
	if len(d.TrustedProxies) > 0 {
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range d.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		e.IPExtractor, e.SchemeExtractor = echo.ExtractIPFromXFFHeader(trust...), echo.ExtractSchemeFromHeaders(trust...)
	}
	a := &auth{AuthConfig: d.Auth, q: d.Queries, store: newStore(d), guard: newLoginGuard(), logger: d.Logger,
		factorGuard: newLimiter(5, 30*time.Second), passkeyGuard: newLimiter(30, 2*time.Second),
		oidcGuard: newLimiter(30, 2*time.Second)}
	if d.Auth.OIDC != nil {
		a.oidc = newOIDCClient(*d.Auth.OIDC)
	}
	if d.Auth.Enabled {
		var err error
		if a.passkeys, err = newPasskeys(d.Auth.PublicURL); err != nil {
			d.Logger.Warn("Passkeys are off", "reason", err.Error())
		}
	}
	e.Use(middleware.RequestID())
	e.Use(requestLogger(d.Logger))
	e.Use(middleware.Recover())
	e.Use(compress())
	e.Use(securityHeaders)
	if d.Auth.LoopbackOnly {
		e.Use(loopbackHostOnly)
	}
	e.Use(bodyLimit)
	e.Use(brokerState(d.BrokerStateFunc))
	e.Use(a.middleware)
	e.Use(a.authorize)
	e.Use(csrfProtection())
	addRoutes(e, d, a)
	return e
}

// requestLogger logs one line per request, with its request id.
func requestLogger(logger *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// Page loads and polls are many and dull; changes and API calls are worth a line.
			level := slog.LevelDebug
			if v.Status >= 500 {
				level = slog.LevelError
			} else if strings.HasPrefix(v.URIPath, "/api/") || v.Method != http.MethodGet {
				level = slog.LevelInfo
			}
			logger.LogAttrs(c.Request().Context(), level, "Request",
				slog.String("request_id", v.RequestID), slog.String("method", v.Method),
				slog.String("path", v.URIPath), slog.Int("status", v.Status),
				slog.Int64("duration_ms", v.Latency.Milliseconds()))
			return nil
		},
	})
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// errorHandler answers every error: an *echo.HTTPError keeps its code and message, a missing row is a
// 404, and anything else is logged with the request id and shown as "Something went wrong".
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		code, msg := http.StatusInternalServerError, "Something went wrong. The error has been logged."
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he):
			code = he.Code
			if m, ok := he.Message.(string); ok {
				msg = m
			} else {
				msg = http.StatusText(code)
			}
			if code == http.StatusRequestEntityTooLarge {
				msg = "The request body is larger than " + bodyLimitWords(c) + "."
			}
		case errors.Is(err, pgx.ErrNoRows):
			code, msg = http.StatusNotFound, "Not found: it may have been deleted."
		default:
			logger.Error("Request failed", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
				"method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(code)
			return
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") || wantsJSON(c) {
			_ = c.JSON(code, apiError{Error: msg})
			return
		}
		if err := renderError(c, code, msg); err != nil {
			_ = c.String(code, msg)
		}
	}
}

// wantsJSON reports whether a client outside /api/ asked for JSON rather than a page.
func wantsJSON(c echo.Context) bool {
	accept := c.Request().Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// render writes a component into one of templ's pooled buffers first, so that a template error
// becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, component templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := component.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

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

// newStore is the store the handlers change things through. When the publisher of runs publishes
// notices too (the worker's Outbox does), the notices a change makes are published at once: a
// failing job's channels added by an edit or an import are told without waiting for the Reaper.
func newStore(d Deps) *store.Store {
	st := store.New(d.DB, d.Auth.AdminUser, d.Secrets)
	if n, ok := d.Publisher.(store.NoticePublisher); ok {
		st.Notices = n
	}
	return st
}
