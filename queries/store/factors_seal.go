package store

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cronflow/cronflow/sqlcgen"
)

// TOTP secrets at rest. With CRONFLOW_SECRET_KEY set, a new TOTP secret is sealed with the secret
// keyring, as secrets are, and stored as "sealed:<key id>:<base64url of the sealed bytes>"; the
// seal is bound to the user, so a value copied onto another user's row does not open. Without a
// key it is stored as it is, and secrets stored so before a key was set keep working: a base32
// secret never starts with "sealed:".

// sealedTOTPPrefix marks a sealed TOTP secret.
const sealedTOTPPrefix = "sealed:"

// totpSealName is what a user's TOTP secret is sealed under.
func totpSealName(userID int64) string { return "totp:" + strconv.FormatInt(userID, 10) }

// sealTOTP is the stored form of a user's TOTP secret: sealed when there is a key, else as it is.
func (s *Store) sealTOTP(userID int64, secret string) (string, error) {
	if s.keys == nil {
		return secret, nil
	}
	keyID, sealed, err := s.keys.Seal(totpSealName(userID), []byte(secret))
	if err != nil {
		return "", fmt.Errorf("seal TOTP secret of user %d: %w", userID, err)
	}
	return sealedTOTPPrefix + keyID + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// TOTPSecret is the base32 secret of a stored TOTP row, opened if it was sealed.
func (s *Store) TOTPSecret(row sqlcgen.UserTotp) (string, error) {
	rest, sealed := strings.CutPrefix(row.Secret, sealedTOTPPrefix)
	if !sealed {
		return row.Secret, nil
	}
	if s.keys == nil {
		return "", errors.New("open TOTP secret: it is sealed, and CRONFLOW_SECRET_KEY is not set")
	}
	keyID, data, ok := strings.Cut(rest, ":")
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if !ok || err != nil {
		return "", fmt.Errorf("open TOTP secret of user %d: the stored value is malformed", row.UserID)
	}
	secret, err := s.keys.Open(totpSealName(row.UserID), keyID, raw)
	if err != nil {
		return "", fmt.Errorf("open TOTP secret of user %d: %w", row.UserID, err)
	}
	return string(secret), nil
}
