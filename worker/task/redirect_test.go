package task

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRedirectsToAnotherOriginCarryNothingOfTheJob follows redirects between two loopback ports,
// which stand in for two hosts.
func TestRedirectsToAnotherOriginCarryNothingOfTheJob(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(4, true), MailConfig{})
	other, seenByOther := echoTarget(t, nil)
	secrets := map[string]string{"TOKEN": "tok-5ecret-value"}
	const payload = `{"url": %q, "sign": true,
		"headers": {"X-Api-Key": "{{secrets.TOKEN}}", "Authorization": "Bearer {{secrets.TOKEN}}"},
		"body": {"token": "{{secrets.TOKEN}}"}}`

	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		t.Run(fmt.Sprintf("CrossOriginAfter%d", status), func(t *testing.T) {
			t.Parallel()
			first, seenFirst := echoTarget(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.Redirect(w, r, other+"/landing", status)
			})
			if _, err := runTask(t, e, "webhook", fmt.Sprintf(payload, first+"/hook?token={{secrets.TOKEN}}"), secrets); err != nil {
				t.Fatal(err)
			}
			if got := receive(t, seenFirst); got.header.Get("X-Api-Key") != secrets["TOKEN"] {
				t.Fatalf("the job's own target lacks its header: %v", got.header)
			}
			got := receive(t, seenByOther)
			for name := range got.header {
				if name != "User-Agent" && name != "Accept-Encoding" && (name != "Content-Length" || got.header.Get(name) != "0") {
					t.Errorf("the other origin got the job's header %s: %q", name, got.header.Get(name))
				}
			}
			if len(got.body) != 0 {
				t.Errorf("the other origin got the job's body %q", got.body)
			}
		})
	}
	t.Run("SameOriginKeepsTheRequestButNoReferer", func(t *testing.T) {
		t.Parallel()
		var target string
		target, seen := echoTarget(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if r.URL.Path == "/hook" {
				http.Redirect(w, r, target+"/moved", http.StatusTemporaryRedirect)
			}
		})
		if _, err := runTask(t, e, "webhook", fmt.Sprintf(payload, target+"/hook?token={{secrets.TOKEN}}"), secrets); err != nil {
			t.Fatal(err)
		}
		receive(t, seen)
		got := receive(t, seen)
		if got.url != "/moved" || got.header.Get("X-Api-Key") != secrets["TOKEN"] || !strings.Contains(string(got.body), secrets["TOKEN"]) {
			t.Errorf("the same origin's second hop = %+v, want the job's header and body", got)
		}
		if ref := got.header.Get("Referer"); ref != "" {
			t.Errorf("the redirect carried Referer %q", ref)
		}
	})
}

func TestEveryRedirectHopIsCheckedAgainstTheTargetRules(t *testing.T) {
	t.Parallel()
	other, seenByOther := echoTarget(t, nil)
	first, seenFirst := echoTarget(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		http.Redirect(w, r, other, http.StatusFound)
	})
	// Only the name localhost is allowed: the first hop goes there, the second to an address.
	allowed, _ := ParseAllowedTargets("localhost")
	u, _ := url.Parse(first)
	e := NewExecutor(TargetRules{Allowed: allowed}.Client(2), MailConfig{})
	_, err := e.Execute(context.Background(), "ping", 5*time.Second, Task{Payload: []byte(`{"url": "http://localhost:` + u.Port() + `/"}`)})
	if !errors.Is(err, ErrPrivateTarget) {
		t.Fatalf("Execute = %v, want the redirect refused by the target rules", err)
	}
	receive(t, seenFirst)
	select {
	case r := <-seenByOther:
		t.Fatalf("the refused hop reached its target: %+v", r)
	default:
	}
}
