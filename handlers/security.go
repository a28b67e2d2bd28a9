package handlers

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows only Cronflow's own scripts, styles and images: no inline script or
// style, no eval, no framing by other sites.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers that keep a browser from being turned against Cronflow.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Pages and API answers can hold secrets (the edit form, one job in the API, a new token):
		// no cache keeps them. The assets say otherwise for themselves.
		h.Set("Cache-Control", "no-store")
		if c.Scheme() == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// ParseNetworks reads a comma-separated list of addresses and CIDR ranges, such as the reverse
// proxies whose forwarded headers are believed. A bad entry is a problem, worded to follow the
// name of the variable it came from.
func ParseNetworks(list string) (nets []*net.IPNet, problems []string) {
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			problems = append(problems, fmt.Sprintf("must list addresses or CIDR ranges, such as 10.0.0.0/8; %q is neither", part))
			continue
		}
		nets = append(nets, n)
	}
	return nets, problems
}
