package handlers

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// Passkeys (WebAuthn, through go-webauthn): Cronflow at CRONFLOW_PUBLIC_URL is the relying party.
// Every ceremony has two requests. The first (begin) makes a challenge and keeps go-webauthn's
// session data server-side as a login flow under a random token; the second (finish) takes that
// flow once, so a challenge answered, replayed or too old finds nothing.

// passkeyFlowTTL is how long a ceremony may take between its begin and its finish.
const passkeyFlowTTL = 5 * time.Minute

// The kinds of login flow the ceremonies keep.
const (
	flowPasskeyRegister = "passkey_register"
	flowPasskeyFactor   = "passkey_factor"
	flowPasskeyLogin    = "passkey_login"
)

// passkeys is the relying party; nil when there is no public URL a browser could use as one.
type passkeys struct {
	wa *webauthn.WebAuthn
}

// newPasskeys makes the relying party of publicURL: its host name is the RP ID, and its scheme,
// host and port the only origin accepted. An empty URL, or one whose host is an IP address (which
// browsers refuse as an RP ID), turns passkeys off; the error says why.
func newPasskeys(publicURL string) (*passkeys, error) {
	if publicURL == "" {
		return nil, errors.New("CRONFLOW_PUBLIC_URL is not set")
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("CRONFLOW_PUBLIC_URL %q is not an http(s) URL", publicURL)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return nil, fmt.Errorf("CRONFLOW_PUBLIC_URL %q names an IP address, which browsers refuse for passkeys: use a host name", publicURL)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: "Cronflow", RPOrigins: []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		// A passkey is two factors (the device, and the PIN or fingerprint that unlocks it) only if
		// the authenticator verifies its user; discoverable, so that it can sign in without a name.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("configure passkeys for %s: %w", publicURL, err)
	}
	return &passkeys{wa: wa}, nil
}

// passkeyUser is a user as go-webauthn sees them, with their passkeys and the passkeys' row ids.
type passkeyUser struct {
	user  sqlcgen.User
	creds []webauthn.Credential
	ids   []int64
}

// userHandle is the WebAuthn user handle of a user: their id, as 8 bytes. It names nobody outside
// Cronflow, and an id is never given to another user.
func userHandle(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

// WebAuthnID is the user handle.
func (u *passkeyUser) WebAuthnID() []byte { return userHandle(u.user.ID) }

// WebAuthnName is the name the authenticator shows.
func (u *passkeyUser) WebAuthnName() string { return u.user.Username }

// WebAuthnDisplayName is the name the authenticator shows too.
func (u *passkeyUser) WebAuthnDisplayName() string { return u.user.Username }

// WebAuthnCredentials are the user's passkeys.
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// descriptors lists the user's passkeys, for an authenticator to exclude or to choose from.
func (u *passkeyUser) descriptors() []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, 0, len(u.creds))
	for _, c := range u.creds {
		out = append(out, c.Descriptor())
	}
	return out
}

// rowID is the id of the stored passkey whose credential id is credID, 0 if none.
func (u *passkeyUser) rowID(credID []byte) int64 {
	for i, c := range u.creds {
		if string(c.ID) == string(credID) {
			return u.ids[i]
		}
	}
	return 0
}

// loadPasskeyUser reads a user and their passkeys.
func (a *auth) loadPasskeyUser(ctx context.Context, userID int64) (*passkeyUser, error) {
	user, err := a.q.UserGet(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("read user %d: %w", userID, err)
	}
	rows, err := a.q.PasskeyListByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys of user %d: %w", userID, err)
	}
	u := &passkeyUser{user: user}
	for _, r := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal(r.Credential, &c); err != nil {
			return nil, fmt.Errorf("read passkey %d: %w", r.ID, err)
		}
		u.creds, u.ids = append(u.creds, c), append(u.ids, r.ID)
	}
	return u, nil
}

// passkeyFlow is what a ceremony keeps between its two requests.
type passkeyFlow struct {
	Session webauthn.SessionData `json:"session"`
	Name    string               `json:"name,omitempty"` // of the passkey being registered
	Next    string               `json:"next,omitempty"` // where a sign-in goes on to
}

// ceremonyStart is a begin's answer: the flow's token, and the options for
// navigator.credentials.create or .get, as {"publicKey": …}.
type ceremonyStart struct {
	Flow    string `json:"flow"`
	Options any    `json:"options"`
}

// ceremonyEnd is a finish's body: the flow's token and the authenticator's answer, as the
// browser's PublicKeyCredential encodes it to JSON.
type ceremonyEnd struct {
	Flow       string          `json:"flow"`
	Credential json.RawMessage `json:"credential"`
}

// startCeremony keeps a ceremony's flow and answers its options.
func (a *auth) startCeremony(c echo.Context, kind string, userID *int64, flow passkeyFlow, options any) error {
	token := store.NewToken()
	if err := a.saveFlow(c.Request().Context(), token, kind, userID, flow, passkeyFlowTTL); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ceremonyStart{Flow: token, Options: options})
}

// ceremonyStale is the message of a finish whose flow is gone: answered already, too old, or
// never begun.
const ceremonyStale = "This passkey request was used already or took too long. Try again."

// endCeremony reads a finish's body and takes its flow, once. A flow of another user than
// userID (when not nil) is as good as none. A nil credential means the answer (a 4xx in JSON,
// which passkeys.js shows) is written already.
func (a *auth) endCeremony(c echo.Context, kind string, userID *int64) (passkeyFlow, json.RawMessage, error) {
	var flow passkeyFlow
	var in ceremonyEnd
	if ok, err := decodeOrReject(c, &in, "passkey answer"); !ok {
		return flow, nil, err
	}
	if in.Flow == "" || len(in.Credential) == 0 {
		return flow, nil, invalidInput(c, "passkey answer", map[string]string{"credential": "is required, with flow"})
	}
	row, err := a.q.LoginFlowTake(c.Request().Context(), sqlcgen.LoginFlowTakeParams{TokenHash: store.HashToken(in.Flow), Kind: kind})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && userID != nil && (row.UserID == nil || *row.UserID != *userID)) {
		a.loginFailed(c, "passkey", "", "no such passkey request in progress")
		return flow, nil, c.JSON(http.StatusBadRequest, apiError{Error: ceremonyStale})
	}
	if err != nil {
		return flow, nil, fmt.Errorf("take passkey flow: %w", err)
	}
	if err := json.Unmarshal(row.Data, &flow); err != nil {
		return flow, nil, fmt.Errorf("read passkey flow: %w", err)
	}
	return flow, in.Credential, nil
}

// passkeyRefused answers a ceremony that go-webauthn did not accept: 400 with its reason, and a
// log line with what it tells developers.
func (a *auth) passkeyRefused(c echo.Context, username string, err error) error {
	reason, info := err.Error(), ""
	var perr *protocol.Error
	if errors.As(err, &perr) {
		reason, info = perr.Details, perr.DevInfo
	}
	a.loginFailed(c, "passkey", username, clip(reason+" "+info, 300))
	return c.JSON(http.StatusBadRequest, apiError{Error: "The passkey was not accepted: " + reason})
}
