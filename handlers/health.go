package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// handleHealthz serves GET /healthz: the process is alive and answering.
func handleHealthz() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	}
}

// handleReadyz serves GET /readyz: 200 when PostgreSQL and RabbitMQ are reachable, 503 with what is
// not otherwise, so that a load balancer stops sending work to a replica that cannot do it.
func handleReadyz(ready func(ctx context.Context) map[string]string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		problems := ready(ctx)
		if len(problems) > 0 {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "problems": problems})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	}
}

// NewHealthServer returns the HTTP handler of a consumers-only replica: /healthz, /readyz and, if
// metrics is set, /metrics. It follows the full server's rules: /metrics wants the metrics token,
// if one is set, and with authentication off (LoopbackOnly) only requests addressed to a loopback
// name are answered.
func NewHealthServer(ready func(ctx context.Context) map[string]string, metrics http.Handler, cfg AuthConfig, logger *slog.Logger) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(logger)
	e.Use(securityHeaders)
	if cfg.LoopbackOnly {
		e.Use(loopbackHostOnly)
	}
	addHealthRoutes(e, ready, metrics, &auth{AuthConfig: AuthConfig{MetricsToken: cfg.MetricsToken}})
	return e
}

// handleMetrics serves GET /metrics in Prometheus' format, to anyone or, with a metrics token set,
// to the scraper that sends it.
func handleMetrics(a *auth, metrics http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !a.metricsAllowed(c) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
			return c.JSON(http.StatusUnauthorized, apiError{Error: "Send the metrics token: Authorization: Bearer …"})
		}
		metrics.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
