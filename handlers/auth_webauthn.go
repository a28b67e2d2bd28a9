package handlers

// passkeys will be the WebAuthn relying party (Cronflow at its public URL, go-webauthn). Its
// registration and sign-in ceremonies are not written yet, so it is always nil: the login page and
// the account page show no passkey buttons, and a user's passkeys table stays empty.
type passkeys struct{}
