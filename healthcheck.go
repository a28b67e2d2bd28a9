package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheckTimeout bounds the whole check; /readyz itself gives up on its checks after 2 s.
const healthcheckTimeout = 5 * time.Second

// healthcheck is cronflow healthcheck: it asks the Cronflow of this host (serve or worker, on the
// address the same environment makes it listen on) whether it is ready, and returns nil only if
// /readyz answers 200. It is for container healthchecks: the image has no shell and no curl.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig("healthcheck", getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	url := "http://" + localAddr(cfg.HTTPAddr) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	// No proxy: the check is about this host.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: not ready: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = fmt.Fprintln(stdout, "ready")
	return err
}

// localAddr is where this host reaches a server listening on addr: a server on every address
// (0.0.0.0 or ::) is asked on loopback.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
