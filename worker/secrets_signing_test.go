package worker

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// signedDelivery is one request a signed webhook job made: its headers and its exact body.
type signedDelivery struct {
	header http.Header
	body   []byte
}

// newKey makes a fresh CRONFLOW_SECRET_KEY.
func newKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, secret.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

// storedSigning reads a table's signing secret columns for a row as a database dump shows them.
func storedSigning(t *testing.T, h *harness, table string, id int64) (current, previous string) {
	t.Helper()
	var prev *string
	err := h.pool.QueryRow(context.Background(),
		"SELECT signing_secret, previous_signing_secret FROM "+table+" WHERE id = $1", id).Scan(&current, &prev)
	if err != nil {
		t.Fatalf("read %s %d: %v", table, id, err)
	}
	if prev != nil {
		previous = *prev
	}
	return current, previous
}

// verifies says whether a receiver holding secret accepts the delivery, by the Standard Webhooks
// project's own Go library.
func verifies(t *testing.T, d signedDelivery, secret string) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(d.body, d.header) == nil
}

// TestSignedWebhookJobsThroughSealingAndRotation takes a signed webhook job whose secret was stored
// before there was a key through the sealing at startup, a rotation of its secret with an overlap,
// one without, and a rotation of the key: the database never shows the secret once a key is set,
// and a receiver verifies every request with the secrets it should hold, and only those.
func TestSignedWebhookJobsThroughSealingAndRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := setup(t, 2)
	got := make(chan signedDelivery, 8)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- signedDelivery{r.Header.Clone(), b}
	}))
	t.Cleanup(target.Close)
	payload, _ := json.Marshal(map[string]any{"url": target.URL, "sign": true})
	plain := task.NewSigningSecret()
	next := time.Now().Add(24 * time.Hour)
	job, err := h.q.JobInsert(ctx, sqlcgen.JobInsertParams{Name: "signed hook", Type: task.WebhookName, Payload: payload,
		Cron: "0 0 1 1 *", Timezone: "UTC", RetryDelayMs: 1000, TimeoutMs: 5000, Catchup: "latest", NextRunAt: &next,
		SigningSecret: &plain})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := h.q.ChannelInsert(ctx, sqlcgen.ChannelInsertParams{Name: "hook " + t.Name(), Type: "webhook",
		Config: json.RawMessage(`{"url": "http://127.0.0.1:9/"}`)})
	if err != nil {
		t.Fatal(err)
	}
	run := func() signedDelivery {
		t.Helper()
		h.waitStatus(h.runNow(job.ID).ID, "completed", 20*time.Second)
		return <-got
	}
	useKeys := func(current, previous []byte) *secret.Keyring {
		t.Helper()
		keys, err := OpenSecrets(ctx, h.q, current, previous, h.logger)
		if err != nil {
			t.Fatalf("OpenSecrets: %v", err)
		}
		h.stopConsumer()
		h.secrets = NewSecrets(h.q, keys)
		h.startConsumer(2)
		return keys
	}
	stranger := task.NewSigningSecret()

	if keys, err := OpenSecrets(ctx, h.q, nil, nil, h.logger); keys != nil || err != nil {
		t.Fatalf("OpenSecrets without a key = %v, %v", keys, err)
	}
	if stored, _ := storedSigning(t, h, "jobs", job.ID); stored != plain {
		t.Fatalf("without a key the secret must stay plain, got %q", stored)
	}

	key1 := newKey(t)
	keys := useKeys(key1, nil)
	stored, _ := storedSigning(t, h, "jobs", job.ID)
	storedCh, _ := storedSigning(t, h, "channels", ch.ID)
	if stored == plain || strings.Contains(stored, "whsec_") || !strings.HasPrefix(stored, keys.SealedTextPrefix()) ||
		storedCh == ch.SigningSecret || strings.Contains(storedCh, "whsec_") {
		t.Fatalf("after startup with a key the database still shows a secret: job %q, channel %q", stored, storedCh)
	}
	if opened, _, err := h.secrets.openSigning(storedCh, ""); err != nil || opened != ch.SigningSecret {
		t.Errorf("the sealed channel secret opens as %q, %v, want the one it had", opened, err)
	}
	if d := run(); !verifies(t, d, plain) || verifies(t, d, stranger) {
		t.Fatalf("a request after sealing does not verify with the job's secret: %v", d.header)
	}

	st := store.New(h.pool, "", keys)
	rotated, err := st.RotateJobSigningSecret(ctx, "tester", job.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	second, err := keys.OpenText(*rotated.SigningSecret)
	if err != nil || second == plain || !strings.HasPrefix(second, "whsec_") {
		t.Fatalf("rotated secret = %q, %v", second, err)
	}
	if cur, prev := storedSigning(t, h, "jobs", job.ID); strings.Contains(cur+prev, "whsec_") || prev != stored {
		t.Errorf("after a rotation the database shows %q and %q, want both sealed, the old one moved", cur, prev)
	}
	d := run()
	if sigs := strings.Fields(d.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Errorf("webhook-signature during the overlap = %q, want two signatures", d.header.Get("webhook-signature"))
	}
	if !verifies(t, d, second) || !verifies(t, d, plain) || verifies(t, d, stranger) {
		t.Errorf("during the overlap a request must verify with the new and the old secret, and only those")
	}

	rotated, err = st.RotateJobSigningSecret(ctx, "tester", job.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	third, _ := keys.OpenText(*rotated.SigningSecret)
	d = run()
	if !verifies(t, d, third) || verifies(t, d, second) || verifies(t, d, plain) || len(strings.Fields(d.header.Get("webhook-signature"))) != 1 {
		t.Errorf("after the overlap a request must verify with the newest secret only: %q", d.header.Get("webhook-signature"))
	}

	keys2 := useKeys(newKey(t), key1)
	if cur, _ := storedSigning(t, h, "jobs", job.ID); !strings.HasPrefix(cur, keys2.SealedTextPrefix()) {
		t.Errorf("after a key rotation the job's secret is not sealed with the new key: %q", cur)
	}
	if cur, _ := storedSigning(t, h, "channels", ch.ID); !strings.HasPrefix(cur, keys2.SealedTextPrefix()) {
		t.Errorf("after a key rotation the channel's secret is not sealed with the new key: %q", cur)
	}
	if d := run(); !verifies(t, d, third) {
		t.Errorf("after a key rotation a request does not verify with the job's secret")
	}
}
