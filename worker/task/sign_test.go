package task

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestASignedWebhookDuringARotationCarriesBothSignatures runs a signed webhook job whose secret
// is being rotated, and verifies its request with the Standard Webhooks library by either secret.
func TestASignedWebhookDuringARotationCarriesBothSignatures(t *testing.T) {
	t.Parallel()
	type request struct {
		header http.Header
		body   []byte
	}
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- request{r.Header.Clone(), b}
	}))
	t.Cleanup(srv.Close)
	current, previous, stranger := NewSigningSecret(), NewSigningSecret(), NewSigningSecret()
	payload, problems := Validate(WebhookName, json.RawMessage(`{"url": "`+srv.URL+`", "body": {"run": "{{run.id}}"}, "sign": true}`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	_, err := NewExecutor(NewHTTPClient(2, true), MailConfig{}).Execute(context.Background(), WebhookName, 5*time.Second,
		Task{RunID: 9, Payload: payload, IdempotencyKey: "cronflow-9", SigningSecret: current, PreviousSigningSecret: previous})
	if err != nil {
		t.Fatal(err)
	}
	r := <-got
	if n := len(strings.Fields(r.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("webhook-signature = %q, want two signatures", r.header.Get("webhook-signature"))
	}
	for secret, want := range map[string]bool{current: true, previous: true, stranger: false} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if ok := wh.Verify(r.body, r.header) == nil; ok != want {
			t.Errorf("verifies with a secret = %v, want %v", ok, want)
		}
	}
}
