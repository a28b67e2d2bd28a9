package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// dialFrom connects to addr from a loopback address of its own, so that the server sees another
// client than the test's 127.0.0.1.
func dialFrom(local string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
}

func TestOneClientCannotHoldEveryConnection(t *testing.T) {
	// Not parallel: it holds 2,000 connections (the open-file limit here is far above that).
	env := testEnv(t)
	env["CRONFLOW_HTTP_IDLE_TIMEOUT"] = "1s"
	app := startApp(t, "serve", env)
	addr := strings.TrimPrefix(app.URL, "http://")
	const idle = 2000
	ended := make(chan error, idle)
	for range idle {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		go func() {
			// One request, then nothing: a keep-alive connection left idle.
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
			_, err := io.Copy(io.Discard, c) // returns when the server closes the connection
			ended <- err
		}()
	}
	// Another client is answered while they are open.
	resp, err := dialFrom("127.0.0.2").Get(app.URL + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("another client's /readyz beside %d idle connections: %v %v", idle, resp, err)
	}
	resp.Body.Close()
	for i := range idle {
		if err := <-ended; err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%d of %d idle connections closed by the server within 20 s; the rest stay open", i, idle)
		}
	}
	// And the client itself is served again, once its idle connections are gone.
	if resp, err := http.Get(app.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz after the idle connections: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestASlowRequestIsCutOff(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env["CRONFLOW_HTTP_READ_TIMEOUT"] = "2s"
	app := startApp(t, "serve", env)
	addr := strings.TrimPrefix(app.URL, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, _ = io.WriteString(c, "POST /login HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, c); ended <- err }()
	began := time.Now()
	tick := time.NewTicker(100 * time.Millisecond) // one byte every 100 ms: 1,000 bytes take 100 s
	defer tick.Stop()
	for {
		select {
		case err := <-ended:
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the server kept a slow request open for 30 s")
			}
			if took := time.Since(began); took > 15*time.Second {
				t.Fatalf("the server kept a slow request open for %s with a 2 s read timeout", took)
			}
			return
		case <-tick.C:
			_, _ = io.WriteString(c, "a")
		}
	}
}
