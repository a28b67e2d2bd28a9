package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Signing secrets (a job's or a channel's whsec_… secret) live in text columns beside the plain
// ones stored before there was a key, so a sealed one is text too: "sealed:", the key id, ":" and
// the base64 of what Seal returns. A value without the prefix is plain and opens as itself.

// sealedTextPrefix begins a value sealed by SealText.
const sealedTextPrefix = "sealed:"

// signingName is the additional data every signing secret is sealed with. It is the same for a
// secret and the previous one, because a rotation moves the stored value from one column to the
// other as it is.
const signingName = "webhook signing secret"

// ErrSealedNoKey is the error of opening a sealed signing secret while CRONFLOW_SECRET_KEY is not
// set.
var ErrSealedNoKey = errors.New("the signing secret is sealed, and CRONFLOW_SECRET_KEY is not set to open it")

// SealText seals a signing secret for a text column. Without a keyring (k is nil: no
// CRONFLOW_SECRET_KEY) it returns the value as it is, plain, as before keys existed.
func (k *Keyring) SealText(value string) (string, error) {
	if k == nil {
		return value, nil
	}
	keyID, sealed, err := k.Seal(signingName, []byte(value))
	if err != nil {
		return "", fmt.Errorf("seal signing secret: %w", err)
	}
	return sealedTextPrefix + keyID + ":" + base64.StdEncoding.EncodeToString(sealed), nil
}

// OpenText returns the signing secret a text column holds: a plain one as it is, a sealed one
// opened with the current or the previous key.
func (k *Keyring) OpenText(stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealedTextPrefix)
	if !ok {
		return stored, nil
	}
	if k == nil {
		return "", ErrSealedNoKey
	}
	keyID, encoded, ok := strings.Cut(rest, ":")
	sealed, err := base64.StdEncoding.DecodeString(encoded)
	if !ok || err != nil {
		return "", errors.New("open signing secret: the stored value is not a sealed value")
	}
	value, err := k.Open(signingName, keyID, sealed)
	if err != nil {
		return "", err
	}
	return string(value), nil
}

// SealedTextPrefix is how every value SealText seals with the current key begins: a stored value
// without it is plain, or sealed with another key, and is sealed again at startup.
func (k *Keyring) SealedTextPrefix() string {
	return sealedTextPrefix + k.current.id + ":"
}

// IsSealedText reports whether a stored signing secret is sealed (with whichever key).
func IsSealedText(stored string) bool {
	return strings.HasPrefix(stored, sealedTextPrefix)
}
