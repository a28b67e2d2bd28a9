package main

import (
	"fmt"
	"net"
)

// listens reports whether a mode serves HTTP (serve and worker), or reads where they do
// (healthcheck): these follow the listening rules of loadConfig.
func listens(mode string) bool {
	return mode == "serve" || mode == "worker" || mode == "healthcheck"
}

// listen opens the HTTP listener of a mode that serves, first of all, so that a port in use stops
// Cronflow at once, before it waits for the database or starts a consumer. Connections that
// arrive before the server starts wait in the listener's queue. Other modes get nil.
func listen(mode, addr string) (net.Listener, error) {
	if mode != "serve" && mode != "worker" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// closeListener closes ln, if there is one; closing it again after the server did is harmless.
func closeListener(ln net.Listener) {
	if ln != nil {
		_ = ln.Close()
	}
}
