package handlers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softAuthenticator is a passkey authenticator in software, written from the WebAuthn
// specification rather than with go-webauthn's help: an ES256 key, attestation "none", the
// authenticator data (rpIdHash, flags, sign count, attested credential data with the COSE key)
// and signed assertions. It answers the options a begin returned as a browser would encode its
// PublicKeyCredential to JSON.
type softAuthenticator struct {
	t      *testing.T
	key    *ecdsa.PrivateKey
	credID []byte
	handle []byte // the user handle, learnt at registration
	count  uint32 // the signature counter, sent then raised by every assertion
	origin string // what clientDataJSON says the page's origin is
}

// Flags of the authenticator data.
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

var b64u = base64.RawURLEncoding

func newSoftAuthenticator(t *testing.T, origin string) *softAuthenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softAuthenticator{t: t, key: key, credID: id, origin: origin, count: 1}
}

// ceremonyOptions is what the authenticator reads of a begin's options.
type ceremonyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func (a *softAuthenticator) readOptions(raw json.RawMessage) ceremonyOptions {
	a.t.Helper()
	var o ceremonyOptions
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		a.t.Fatalf("ceremony options %s: %v", raw, err)
	}
	return o
}

// clientData is the clientDataJSON a browser at a.origin makes for a ceremony.
func (a *softAuthenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data for rpID with flags, the counter and any extra bytes.
func (a *softAuthenticator) authData(rpID string, flags byte, extra []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.count)
	return append(out, extra...)
}

// coseKey is the credential's public key as COSE_Key (EC2, P-256, ES256).
func (a *softAuthenticator) coseKey() []byte {
	pub, _ := a.key.PublicKey.ECDH()
	raw := pub.Bytes() // 0x04 || X || Y
	b, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		a.t.Fatal(err)
	}
	return b
}

// create answers a registration's options with a new credential.
func (a *softAuthenticator) create(options json.RawMessage) json.RawMessage {
	a.t.Helper()
	o := a.readOptions(options)
	a.handle, _ = b64u.DecodeString(o.PublicKey.User.ID)
	attested := make([]byte, 16) // AAGUID: zeros, as attestation "none" has it
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.credID)))
	attested = append(append(attested, a.credID...), a.coseKey()...)
	obj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{},
		"authData": a.authData(o.PublicKey.RP.ID, flagUP|flagUV|flagAT, attested)})
	if err != nil {
		a.t.Fatal(err)
	}
	return a.credential(map[string]any{
		"clientDataJSON":    b64u.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
		"attestationObject": b64u.EncodeToString(obj),
		"transports":        []string{"internal"},
	})
}

// get answers a sign-in's options with an assertion signed by the credential's key, its counter
// raised first.
func (a *softAuthenticator) get(options json.RawMessage) json.RawMessage {
	a.t.Helper()
	o := a.readOptions(options)
	a.count++
	data := a.authData(o.PublicKey.RPID, flagUP|flagUV, nil)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, data...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	return a.credential(map[string]any{
		"clientDataJSON":    b64u.EncodeToString(cd),
		"authenticatorData": b64u.EncodeToString(data),
		"signature":         b64u.EncodeToString(sig),
		"userHandle":        b64u.EncodeToString(a.handle),
	})
}

// credential is a PublicKeyCredential as JSON, with a response.
func (a *softAuthenticator) credential(response map[string]any) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(a.credID), "rawId": b64u.EncodeToString(a.credID),
		"type": "public-key", "response": response, "clientExtensionResults": map[string]any{}})
	return b
}
