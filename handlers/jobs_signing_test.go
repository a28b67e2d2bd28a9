package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/cronflow/cronflow/worker"
)

// withSealingNotifier is withNotifier opening the channels' sealed signing secrets with the
// server's key; it goes after withSecretKey.
func withSealingNotifier(d *Deps) {
	withNotifier(d)
	d.Channels.(*worker.Notifier).Secrets = worker.NewSecrets(d.Queries, d.Secrets)
}

// signedJobBody is a signed webhook job's body for the API.
const signedJobBody = `{"name": "Signed", "type": "webhook", "cron": "0 2 * * *", "payload": {"url": "https://example.com/hook", "sign": true, "body": {}}}`

// storedColumn reads a table's signing secret as a database dump shows it.
func (f *fixture) storedColumn(table, column string, id int64) string {
	f.t.Helper()
	var v *string
	if err := f.db.QueryRow(f.t.Context(), "SELECT "+column+" FROM "+table+" WHERE id = $1", id).Scan(&v); err != nil {
		f.t.Fatalf("read %s.%s: %v", table, column, err)
	}
	if v == nil {
		return ""
	}
	return *v
}

func TestSigningSecretsAreSealedWithAKey(t *testing.T) {
	t.Parallel()

	t.Run("AJobsSecretIsShownToEditorsAndStoredSealed", func(t *testing.T) {
		t.Parallel()
		f := setup(t, withSecretKey(t))
		var job jobJSON
		f.expect(f.sendJSON(http.MethodPost, "/api/jobs", signedJobBody), http.StatusCreated, &job)
		if !strings.HasPrefix(job.SigningSecret, "whsec_") {
			t.Fatalf("created job's signing secret = %q, want a whsec_ secret", job.SigningSecret)
		}
		if stored := f.storedColumn("jobs", "signing_secret", job.ID); stored == job.SigningSecret || strings.Contains(stored, "whsec_") {
			t.Errorf("the database shows the signing secret: %q", stored)
		}
		var got jobJSON
		f.expect(f.send(http.MethodGet, fmt.Sprintf("/api/jobs/%d", job.ID), nil), http.StatusOK, &got)
		if got.SigningSecret != job.SigningSecret {
			t.Errorf("GET shows %q, want the secret shown at creation", got.SigningSecret)
		}
		doc := f.page(fmt.Sprintf("/jobs/%d", job.ID), false, http.StatusOK)
		if shown := doc.Find(`[data-testid="job-signing-secret"]`).Text(); shown != job.SigningSecret {
			t.Errorf("the job page shows %q, want %q", shown, job.SigningSecret)
		}
	})

	t.Run("AChannelsSecretIsStoredSealedAndSignsItsNotices", func(t *testing.T) {
		t.Parallel()
		f := setup(t, withSecretKey(t), withSealingNotifier)
		got := make(chan signedNotice, 2)
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- signedNotice{r.Header.Clone(), b}
		}))
		t.Cleanup(srv.Close)
		var ch channelJSON
		f.expect(f.sendJSON(http.MethodPost, "/api/channels", fmt.Sprintf(`{"name": "Hook", "type": "webhook", "config": {"url": %q}}`, srv.URL)),
			http.StatusCreated, &ch)
		if ch.Signing == nil || !strings.HasPrefix(ch.Signing.SigningSecret, "whsec_") {
			t.Fatalf("channel signing = %+v", ch.Signing)
		}
		if stored := f.storedColumn("channels", "signing_secret", ch.ID); strings.Contains(stored, "whsec_") {
			t.Errorf("the database shows the channel's signing secret: %q", stored)
		}
		var answer map[string]any
		f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/test", ch.ID), nil), http.StatusOK, &answer)
		if answer["status"] != "sent" {
			t.Fatalf("test notice = %v", answer)
		}
		if d := <-got; !d.verifies(t, ch.Signing.SigningSecret) {
			t.Errorf("the notice does not verify with the secret the API shows: %v", d.header)
		}
	})
}

// signedNotice is a request a receiver got: its headers and its exact body.
type signedNotice struct {
	header http.Header
	body   []byte
}

// verifies says whether a receiver holding secret accepts it, by the Standard Webhooks library.
func (d signedNotice) verifies(t *testing.T, secret string) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(d.body, d.header) == nil
}

func TestJobSigningSecretRotation(t *testing.T) {
	t.Parallel()
	f := setup(t, withSecretKey(t))
	var job jobJSON
	f.expect(f.sendJSON(http.MethodPost, "/api/jobs", signedJobBody), http.StatusCreated, &job)
	first := job.SigningSecret
	rotate := fmt.Sprintf("/api/jobs/%d/signing-secret/rotate", job.ID)

	t.Run("ABadOverlapIsRefusedAndChangesNothing", func(t *testing.T) {
		stored := f.storedColumn("jobs", "signing_secret", job.ID)
		for _, body := range []string{`{"overlap": "721h"}`, `{"overlap": "-1s"}`, `{"overlap": "soon"}`} {
			p := f.expectProblem(f.sendJSON(http.MethodPost, rotate, body), http.StatusUnprocessableEntity, "overlap")
			if !strings.Contains(p.Fields["overlap"], "0s to 720h") {
				t.Errorf("%s: problem %q", body, p.Fields["overlap"])
			}
		}
		if f.storedColumn("jobs", "signing_secret", job.ID) != stored {
			t.Error("a refused rotation changed the secret")
		}
	})

	var rotated signingJSON
	t.Run("RotationKeepsTheOldSecretForTheOverlap", func(t *testing.T) {
		f.expect(f.sendJSON(http.MethodPost, rotate, `{"overlap": "2h"}`), http.StatusOK, &rotated)
		if !strings.HasPrefix(rotated.SigningSecret, "whsec_") || rotated.SigningSecret == first || rotated.PreviousSigningSecret != first ||
			rotated.PreviousSecretUntil == nil || time.Until(*rotated.PreviousSecretUntil) < 110*time.Minute {
			t.Fatalf("rotation = %+v, want a new secret and the first valid for 2h", rotated)
		}
		if s := f.storedColumn("jobs", "signing_secret", job.ID) + f.storedColumn("jobs", "previous_signing_secret", job.ID); strings.Contains(s, "whsec_") {
			t.Errorf("the database shows a signing secret: %q", s)
		}
		doc := f.page(fmt.Sprintf("/jobs/%d", job.ID), false, http.StatusOK)
		if doc.Find(`[data-testid="job-signing-secret"]`).Text() != rotated.SigningSecret ||
			doc.Find(`[data-testid="job-previous-signing-secret"]`).Text() != first || doc.Find(`[data-testid="rotate-signing-form"] input[name="_csrf"]`).Length() != 1 {
			t.Errorf("the job page does not show both secrets and the rotate button")
		}
	})

	t.Run("TheAuditLogRecordsTheRotationWithoutASecret", func(t *testing.T) {
		rec := f.send(http.MethodGet, fmt.Sprintf("/api/audit?job_id=%d", job.ID), nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "job.rotate_signing_secret") {
			t.Fatalf("audit = %d %s", rec.Code, body)
		}
		if strings.Contains(body, "whsec_") || strings.Contains(body, "sealed:") {
			t.Errorf("the audit log holds a secret: %s", body)
		}
	})

	t.Run("ThePageButtonRotatesAtOnceWithNoOverlap", func(t *testing.T) {
		rec := f.send(http.MethodPost, fmt.Sprintf("/jobs/%d/signing-secret/rotate", job.ID), formBody(url.Values{"overlap": {"0s"}}),
			"Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("page rotation = %d %s", rec.Code, rec.Body)
		}
		doc := f.page(fmt.Sprintf("/jobs/%d", job.ID), false, http.StatusOK)
		if s := doc.Find(`[data-testid="job-signing-secret"]`).Text(); s == rotated.SigningSecret || !strings.HasPrefix(s, "whsec_") {
			t.Errorf("after the page's rotation the secret is %q", s)
		}
		if doc.Find(`[data-testid="job-previous-signing-secret"]`).Length() != 0 {
			t.Error("a rotation with no overlap still shows the previous secret")
		}
	})

	t.Run("AJobThatSignsNothingOrDoesNotExistIsRefused", func(t *testing.T) {
		ping := f.createJob(`{"name": "Ping", "type": "ping", "cron": "0 2 * * *", "payload": {"url": "https://example.com/a"}}`)
		if rec := f.sendJSON(http.MethodPost, fmt.Sprintf("/api/jobs/%d/signing-secret/rotate", ping.ID), `{}`); rec.Code != http.StatusConflict {
			t.Errorf("rotating a ping job = %d %s, want 409", rec.Code, rec.Body)
		}
		if rec := f.sendJSON(http.MethodPost, "/api/jobs/999999999/signing-secret/rotate", `{}`); rec.Code != http.StatusNotFound {
			t.Errorf("rotating a missing job = %d, want 404", rec.Code)
		}
	})
}
