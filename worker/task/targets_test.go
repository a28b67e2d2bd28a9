package task

import (
	"context"
	"errors"
	"net"
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

// TestTargetRulesAtTheDialCheck gives the dial check crafted addresses, as the dialler would after
// resolving a name: no test dials anything but loopback.
func TestTargetRulesAtTheDialCheck(t *testing.T) {
	t.Parallel()
	allowed, problems := ParseAllowedTargets("10.1.0.0/16, 169.254.169.254, Grafana.Internal.")
	if problems != nil {
		t.Fatal(problems)
	}
	for _, tt := range []struct {
		name  string
		rules TargetRules
		host  string
		addrs []string
		want  error
	}{
		{"ByDefaultPrivateIsRefused", TargetRules{}, "example.com", []string{"127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "fe80::1"}, ErrPrivateTarget},
		{"ByDefaultPublicIsAllowed", TargetRules{}, "example.com", []string{"93.184.215.14", "2606:4700:4700::1111"}, nil},
		{"MetadataIsRefusedWithPrivateAllowed", TargetRules{AllowPrivate: true}, "example.com",
			[]string{"169.254.169.254", "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200", "169.254.170.2", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe"}, ErrMetadataTarget},
		{"PrivateAllowedReachesPrivate", TargetRules{AllowPrivate: true}, "example.com", []string{"127.0.0.1", "10.9.9.9", "fd12::1"}, nil},
		{"AnAllowedNetworkIsReachable", TargetRules{Allowed: allowed}, "example.com", []string{"10.1.2.3", "::ffff:10.1.255.255"}, nil},
		{"OutsideTheAllowedNetworkIsRefused", TargetRules{Allowed: allowed}, "example.com", []string{"10.2.0.1", "127.0.0.1"}, ErrPrivateTarget},
		{"AListedMetadataAddressIsReachable", TargetRules{Allowed: allowed}, "example.com", []string{"169.254.169.254"}, nil},
		{"AnUnlistedMetadataAddressIsNot", TargetRules{Allowed: allowed}, "example.com", []string{"fd00:ec2::254"}, ErrMetadataTarget},
		{"AnAllowedNameReachesPrivate", TargetRules{Allowed: allowed}, "grafana.internal", []string{"10.7.0.1", "127.0.0.1"}, nil},
		{"AnAllowedNameNeverReachesMetadata", TargetRules{Allowed: allowed}, "grafana.internal", []string{"100.100.100.200"}, ErrMetadataTarget},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check := tt.rules.control(tt.host)
			for _, a := range tt.addrs {
				err := check("tcp", net.JoinHostPort(a, "80"), nil)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Errorf("%s as %s: %v, want %v", a, tt.host, err, tt.want)
				}
				if err != nil && strings.Contains(err.Error(), a) {
					t.Errorf("the refusal names the address: %v", err)
				}
			}
		})
	}
}

func TestParseAllowedTargetsNamesTheBadEntry(t *testing.T) {
	t.Parallel()
	_, problems := ParseAllowedTargets("10.0.0.0/8, 10.0.0.0/33,https://x.example, ,bad_host-.example, fe80::1%eth0")
	if len(problems) != 4 || !strings.Contains(problems[0], `"10.0.0.0/33"`) || !strings.Contains(problems[1], `"https://x.example"`) {
		t.Fatalf("problems = %q, want one per bad entry, naming it", problems)
	}
}

func TestPrivateTargetsAreRefusedByDefault(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	tg := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	t.Cleanup(tg.Close)
	u, _ := url.Parse(tg.URL)
	// "localhost" is a name that resolves to 127.0.0.1: the check must see through it, and the
	// refusal must not say what the name resolved to.
	byName := "http://localhost:" + u.Port() + "/"
	run := func(rules TargetRules, target string) error {
		e := NewExecutor(rules.Client(2), MailConfig{})
		_, err := e.Execute(context.Background(), "ping", 5*time.Second, Task{Payload: []byte(`{"url": "` + target + `"}`)})
		return err
	}
	loopback, _ := ParseAllowedTargets("127.0.0.1/8")
	named, _ := ParseAllowedTargets("localhost")
	for name, target := range map[string]string{"ByAddress": tg.URL, "ByANameThatResolvesToLoopback": byName} {
		t.Run(name, func(t *testing.T) {
			err := run(TargetRules{}, target)
			if !errors.Is(err, ErrPrivateTarget) || PermanentReason(err) == "" {
				t.Fatalf("Execute = %v, want a permanent refusal by the target rules", err)
			}
			if target == byName && (strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "::1")) {
				t.Errorf("the refusal names the resolved address: %v", err)
			}
			if err := run(TargetRules{AllowPrivate: true}, target); err != nil {
				t.Fatalf("with private targets allowed, Execute = %v", err)
			}
			if err := run(TargetRules{Allowed: loopback}, target); err != nil {
				t.Fatalf("with 127.0.0.1/8 allowed, Execute = %v", err)
			}
		})
	}
	if err := run(TargetRules{Allowed: named}, byName); err != nil {
		t.Fatalf("with localhost allowed, Execute by name = %v", err)
	}
	if err := run(TargetRules{Allowed: named}, tg.URL); !errors.Is(err, ErrPrivateTarget) {
		t.Fatalf("with only the name localhost allowed, Execute by address = %v, want a refusal", err)
	}
	if requests := requests.Load(); requests != 5 {
		t.Errorf("the target got %d requests, want only the 5 allowed ones", requests)
	}
}

// bannerTarget starts a TCP service on loopback that is not HTTP: it writes a banner and closes.
func bannerTarget(t *testing.T, banner string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(banner))
			_ = c.Close()
		}
	}()
	return l.Addr().String()
}

func TestConnectionErrorsNameNeitherTheAnswerNorTheAddress(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(2, true), MailConfig{})
	_, port, _ := net.SplitHostPort(bannerTarget(t, "sink 7.1 ready for 10.0.0.7\r\n"))
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closedPort, _ := net.SplitHostPort(closed.Addr().String())
	closed.Close()
	for name, tc := range map[string]struct{ url, want string }{
		"ABanner":           {"http://localhost:" + port + "/", "did not answer with valid HTTP"},
		"AClosedPort":       {"http://localhost:" + closedPort + "/", "nothing listens on localhost:" + closedPort},
		"ABannerOverTLS":    {"https://localhost:" + port + "/", "TLS"},
		"AChannelIsTheSame": {"http://localhost:" + port + "/hook", "did not answer with valid HTTP"},
	} {
		t.Run(name, func(t *testing.T) {
			typ, payload := "ping", `{"url": "`+tc.url+`"}`
			if name == "AChannelIsTheSame" {
				typ, payload = "webhook", `{"url": "`+tc.url+`", "body": {}}`
			}
			_, err := e.Execute(context.Background(), typ, 5*time.Second, Task{Payload: []byte(payload)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Execute = %v, want %q", err, tc.want)
			}
			for _, leak := range []string{"sink", "10.0.0.7", "127.0.0.1", "[::1]"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error shows %q: %v", leak, err)
				}
			}
		})
	}
}

// Connection errors are worded where they happen (issue 27, item 13): a refused connection names
// the host and port as the URL gives them, a timeout says how long the target had; no Go phrase.
func TestConnectionErrorsAreSentencesAtTheSource(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(2, true), MailConfig{})
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := closed.Addr().String()
	closed.Close()
	_, err := e.Execute(context.Background(), "ping", 5*time.Second, Task{Payload: []byte(`{"url": "http://` + addr + `/hook"}`)})
	if want := "GET http://" + addr + "/hook: nothing listens on " + addr; err == nil || err.Error() != want {
		t.Errorf("a closed port: %v, want %q", err, want)
	}
	silent, _ := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	t.Cleanup(func() { silent.Close() })
	_, err = e.Execute(context.Background(), "ping", 2*time.Second, Task{Payload: []byte(`{"url": "http://` + silent.Addr().String() + `/"}`)})
	if err == nil || !strings.Contains(err.Error(), "the target did not answer within 2 seconds") {
		t.Errorf("a silent target: %v, want it to say the target did not answer within 2 seconds", err)
	}
	for _, leak := range []string{"context deadline exceeded", "dial tcp", "connection refused"} {
		if err != nil && strings.Contains(err.Error(), leak) {
			t.Errorf("the error shows Go's %q: %v", leak, err)
		}
	}
}
