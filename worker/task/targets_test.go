package task

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPrivateAddresses(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"100.100.100.200", "0.0.0.0", "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1"} {
		if !privateAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is not refused", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"} {
		if privateAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is refused, but it is public", a)
		}
	}
}

func TestPrivateTargetsAreRefusedWhenNotAllowed(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	tg := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	t.Cleanup(tg.Close)
	u, _ := url.Parse(tg.URL)
	// "localhost" is a name that resolves to 127.0.0.1: the check must see through it.
	byName := "http://localhost:" + u.Port() + "/"
	for name, target := range map[string]string{"ByAddress": tg.URL, "ByANameThatResolvesToLoopback": byName} {
		t.Run(name, func(t *testing.T) {
			refusing := NewExecutor(NewHTTPClient(2, false), MailConfig{})
			_, err := refusing.Execute(context.Background(), "ping", 5*time.Second, Task{Payload: []byte(`{"url": "` + target + `"}`)})
			if !errors.Is(err, ErrPrivateTarget) || !strings.Contains(err.Error(), "127.0.0.1") {
				t.Fatalf("Execute = %v, want a refusal naming 127.0.0.1", err)
			}
			allowing := NewExecutor(NewHTTPClient(2, true), MailConfig{})
			if _, err := allowing.Execute(context.Background(), "ping", 5*time.Second, Task{Payload: []byte(`{"url": "` + target + `"}`)}); err != nil {
				t.Fatalf("with private targets allowed, Execute = %v", err)
			}
		})
	}
	if requests := requests.Load(); requests != 2 {
		t.Errorf("the target got %d requests, want only the 2 allowed ones", requests)
	}
}
