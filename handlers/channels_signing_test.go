package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/cronflow/cronflow/worker/task"
)

// TestAlertWebhooksAreSignedThroughARotation verifies a webhook channel's test notices with the
// Standard Webhooks project's own Go library: signed by the channel's secret, then during a
// rotation's overlap by both secrets, then once the overlap is over by the new one only.
func TestAlertWebhooksAreSignedThroughARotation(t *testing.T) {
	t.Parallel()
	f := setup(t, withNotifier)
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), b}
	}))
	t.Cleanup(srv.Close)
	jsonType := []string{"Content-Type", "application/json"}
	var ch channelJSON
	f.expect(f.send(http.MethodPost, "/api/channels", jsonBody(fmt.Sprintf(`{"name": "Hook", "type": "webhook", "config": {"url": %q}}`, srv.URL)),
		jsonType...), http.StatusCreated, &ch)
	if ch.Signing == nil || !strings.HasPrefix(ch.Signing.SigningSecret, "whsec_") {
		t.Fatalf("a new webhook channel's signing = %+v, want a whsec_ secret", ch.Signing)
	}
	first := ch.Signing.SigningSecret
	sendTest := func() delivery {
		t.Helper()
		var answer map[string]any
		f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/test", ch.ID), nil, jsonType...), http.StatusOK, &answer)
		if answer["status"] != "sent" {
			t.Fatalf("test notice = %v", answer)
		}
		return <-got
	}
	verifies := func(d delivery, secret string) bool {
		t.Helper()
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(d.body, d.header) == nil
	}
	stranger := task.NewSigningSecret()

	d := sendTest()
	if !verifies(d, first) || verifies(d, stranger) || d.header.Get("webhook-id") == "" {
		t.Fatalf("a notice does not verify with the channel's secret alone: %v", d.header)
	}

	var rotated signingJSON
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/signing-secret/rotate", ch.ID), jsonBody(`{"overlap": "1h"}`), jsonType...),
		http.StatusOK, &rotated)
	if rotated.SigningSecret == first || rotated.PreviousSigningSecret != first || rotated.PreviousSecretUntil == nil {
		t.Fatalf("rotation = %+v, want a new secret and the first as the previous", rotated)
	}
	d = sendTest()
	if sigs := strings.Fields(d.header.Get("webhook-signature")); len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Errorf("webhook-signature during the overlap = %q, want two v1 signatures separated by a space", d.header.Get("webhook-signature"))
	}
	if !verifies(d, rotated.SigningSecret) || !verifies(d, first) || verifies(d, stranger) {
		t.Errorf("during the overlap a notice must verify with the new and the old secret, and only those")
	}

	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/signing-secret/rotate", ch.ID), jsonBody(`{"overlap": "0s"}`), jsonType...),
		http.StatusOK, &rotated)
	d = sendTest()
	if !verifies(d, rotated.SigningSecret) || verifies(d, first) || len(strings.Fields(d.header.Get("webhook-signature"))) != 1 {
		t.Errorf("after the overlap a notice must verify with the newest secret only: %q", d.header.Get("webhook-signature"))
	}
	f.expectProblem(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/signing-secret/rotate", ch.ID), jsonBody(`{"overlap": "-1h"}`), jsonType...),
		http.StatusUnprocessableEntity, "overlap")
}
