package task

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signingSecretPrefix starts a webhook signing secret, as the Standard Webhooks specification has it.
const signingSecretPrefix = "whsec_"

// signatureHeaders are the headers of a signed webhook, which a job may not set itself.
var signatureHeaders = []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}

// NewSigningSecret makes a job's webhook signing secret: whsec_ and base64 of 32 random bytes.
func NewSigningSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return signingSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Sign returns the Standard Webhooks headers of a message: webhook-id, webhook-timestamp (Unix
// seconds) and webhook-signature, "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" under
// the secret's key (the base64 after whsec_).
func Sign(secret, id string, at time.Time, body []byte) (map[string]string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, signingSecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("sign webhook: the job's signing secret is not base64 after whsec_")
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(body)
	return map[string]string{
		"webhook-id":        id,
		"webhook-timestamp": ts,
		"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	}, nil
}
