package handlers

import (
	"github.com/go-webauthn/webauthn/webauthn"
)

// passkeys is the WebAuthn relying party: Cronflow at its public URL.
type passkeys struct {
	wa *webauthn.WebAuthn
}
