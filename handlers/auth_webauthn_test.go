package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/webauthn"
)

// The passkey ceremonies through the server, answered by softAuthenticator.

const (
	passkeyURL    = "https://cronflow.test"
	passkeyOrigin = "https://cronflow.test"
)

func setupPasskeys(t *testing.T, cfg AuthConfig) *fixture {
	cfg.PublicURL = passkeyURL
	return setup(t, withAuth(cfg))
}

// begin starts a ceremony (cookie may be "") and returns its flow and options.
func (f *fixture) begin(cookie, target, body string) ceremonyStartJSON {
	f.t.Helper()
	var start ceremonyStartJSON
	f.expect(f.ceremonyPost(cookie, target, body), http.StatusOK, &start)
	if start.Flow == "" {
		f.t.Fatalf("%s gave no flow", target)
	}
	return start
}

// ceremonyStartJSON is a begin's answer as a browser reads it.
type ceremonyStartJSON struct {
	Flow    string          `json:"flow"`
	Options json.RawMessage `json:"options"`
}

// ceremonyPost posts JSON as passkeys.js does: with the session (if any) and its CSRF token.
func (f *fixture) ceremonyPost(cookie, target, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	if cookie == "" {
		return f.send(http.MethodPost, target, strings.NewReader(body), "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
	}
	return f.sessionJSON(cookie, http.MethodPost, target, body)
}

// finishBody is a finish's body.
func finishBody(flow string, cred json.RawMessage) string {
	b, _ := json.Marshal(map[string]any{"flow": flow, "credential": cred})
	return string(b)
}

// registerPasskey registers the authenticator's credential under name for the session's user.
func (f *fixture) registerPasskey(cookie string, a *softAuthenticator, name string) {
	f.t.Helper()
	start := f.begin(cookie, "/settings/passkeys/begin", `{"name":"`+name+`"}`)
	f.expect(f.ceremonyPost(cookie, "/settings/passkeys/finish", finishBody(start.Flow, a.create(start.Options))), http.StatusCreated, nil)
}

// storedPasskeys are the user's passkeys as stored.
func (f *fixture) storedPasskeys(username string) []webauthn.Credential {
	f.t.Helper()
	u, err := f.q.UserGetByName(context.Background(), username)
	if err != nil {
		f.t.Fatal(err)
	}
	rows, err := f.q.PasskeyListByUser(context.Background(), u.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []webauthn.Credential
	for _, r := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal(r.Credential, &c); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestPasskeyRegistration(t *testing.T) {
	t.Parallel()
	f := setupPasskeys(t, AuthConfig{})
	_, cookie := f.passwordLogin()
	a := newSoftAuthenticator(t, passkeyOrigin)

	t.Run("ANameIsRequired", func(t *testing.T) {
		f.expectProblem(f.ceremonyPost(cookie, "/settings/passkeys/begin", `{"name":"  "}`), http.StatusUnprocessableEntity, "name")
		f.expectProblem(f.ceremonyPost(cookie, "/settings/passkeys/begin", `{"name":"`+strings.Repeat("x", 101)+`"}`),
			http.StatusUnprocessableEntity, "name")
	})
	t.Run("AWrongOriginIsRefusedAndNothingStored", func(t *testing.T) {
		evil := newSoftAuthenticator(t, "https://evil.test")
		start := f.begin(cookie, "/settings/passkeys/begin", `{"name":"phish"}`)
		f.expectProblem(f.ceremonyPost(cookie, "/settings/passkeys/finish", finishBody(start.Flow, evil.create(start.Options))),
			http.StatusBadRequest, "")
		if n := len(f.storedPasskeys(testAdmin)); n != 0 {
			t.Errorf("%d passkeys stored from a wrong origin", n)
		}
	})
	t.Run("TheCredentialIsStoredUnderItsNameAndAudited", func(t *testing.T) {
		start := f.begin(cookie, "/settings/passkeys/begin", `{"name":"laptop"}`)
		body := finishBody(start.Flow, a.create(start.Options))
		f.expect(f.ceremonyPost(cookie, "/settings/passkeys/finish", body), http.StatusCreated, nil)
		creds := f.storedPasskeys(testAdmin)
		if len(creds) != 1 || string(creds[0].ID) != string(a.credID) || creds[0].AttestationFormat != "none" {
			t.Fatalf("stored %+v", creds)
		}
		if !strings.Contains(f.auditActions(), "user.passkey_add") {
			t.Errorf("audit log: %s", f.auditActions())
		}
		doc := f.parse(f.send(http.MethodGet, "/settings/account", nil, "Cookie", cookie), http.StatusOK)
		if got := find(t, doc, "passkey-row").Text(); !strings.Contains(got, "laptop") {
			t.Errorf("account page passkey row %q", got)
		}
		t.Run("AFinishReplayedIsRefused", func(t *testing.T) {
			f.expectProblem(f.ceremonyPost(cookie, "/settings/passkeys/finish", body), http.StatusBadRequest, "")
		})
	})
	t.Run("RemovingOneIsAudited", func(t *testing.T) {
		rows, _ := f.q.PasskeyListByUser(context.Background(), f.adminID())
		if rec := f.sessionPost(cookie, "/settings/passkeys/"+itoa64(rows[0].ID+1000)+"/delete", url.Values{"proof": {testPassword}}); rec.Code != http.StatusNotFound {
			t.Errorf("removing an unknown passkey: %d", rec.Code)
		}
		if rec := f.sessionPost(cookie, "/settings/passkeys/"+itoa64(rows[0].ID)+"/delete", url.Values{"proof": {testPassword}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("remove: %d %s", rec.Code, rec.Body)
		}
		if n := len(f.storedPasskeys(testAdmin)); n != 0 || !strings.Contains(f.auditActions(), "user.passkey_remove") {
			t.Errorf("%d passkeys left; audit log: %s", n, f.auditActions())
		}
	})
}

func (f *fixture) adminID() int64 {
	f.t.Helper()
	u, err := f.q.UserGetByName(context.Background(), testAdmin)
	if err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}
