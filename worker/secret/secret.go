// Package secret seals the values of Cronflow's secrets for storing, with AES-256-GCM from the
// standard library, under the key in CRONFLOW_SECRET_KEY. It does no I/O: the handlers seal what a
// person sends, the worker opens what a run needs, and both store only what Seal returns.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of a key: 32 bytes, AES-256.
const KeySize = 32

// MaxNameLength bounds a secret's name.
const MaxNameLength = 100

// namePattern is what a secret's name looks like, so that {{secrets.NAME}} in a template is
// unambiguous and reads as a constant.
var namePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// ErrNoKey is the error of using secrets while CRONFLOW_SECRET_KEY is not set.
var ErrNoKey = errors.New("secrets need an encryption key: set CRONFLOW_SECRET_KEY (openssl rand -base64 32) and restart Cronflow")

// CheckName returns what is wrong with name as a secret's name, or "" if nothing is.
func CheckName(name string) string {
	switch {
	case name == "":
		return "is required"
	case len(name) > MaxNameLength:
		return fmt.Sprintf("must be at most %d characters", MaxNameLength)
	case !namePattern.MatchString(name):
		return "must start with a capital letter and hold only capital letters, digits and _, such as API_TOKEN"
	}
	return ""
}

// ParseKey reads a key as `openssl rand -base64 32` prints it: base64 of exactly 32 bytes.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("must be base64, as `openssl rand -base64 32` prints it")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("must be base64 of exactly %d bytes, got %d bytes", KeySize, len(key))
	}
	return key, nil
}

// key is one AES-256-GCM key and its id.
type key struct {
	id   string
	aead cipher.AEAD
}

func newKey(raw []byte) (key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, fmt.Errorf("make AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("make GCM: %w", err)
	}
	sum := sha256.Sum256(append([]byte("cronflow secret key id\x00"), raw...))
	return key{id: hex.EncodeToString(sum[:8]), aead: aead}, nil
}

// Keyring is the current key, which seals, and optionally the previous key, which only opens, so
// that values sealed before a key rotation stay readable until they are sealed again.
type Keyring struct {
	current  key
	previous *key
}

// NewKeyring builds a keyring from raw keys of KeySize bytes; previous may be nil.
func NewKeyring(current, previous []byte) (*Keyring, error) {
	cur, err := newKey(current)
	if err != nil {
		return nil, err
	}
	k := &Keyring{current: cur}
	if previous != nil {
		prev, err := newKey(previous)
		if err != nil {
			return nil, err
		}
		k.previous = &prev
	}
	return k, nil
}

// KeyID names the current key without revealing it; it is stored next to every sealed value so
// that a rotation knows which values to seal again.
func (k *Keyring) KeyID() string { return k.current.id }

// Seal encrypts value under the current key. The name is authenticated with it, so a sealed value
// copied onto another secret's row does not open.
func (k *Keyring) Seal(name string, value []byte) (keyID string, sealed []byte, err error) {
	nonce := make([]byte, k.current.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("make nonce: %w", err)
	}
	return k.current.id, k.current.aead.Seal(nonce, nonce, value, []byte(name)), nil
}

// Open decrypts what Seal returned for name, with the key keyID names: the current or the
// previous one.
func (k *Keyring) Open(name, keyID string, sealed []byte) ([]byte, error) {
	var kk *key
	switch {
	case keyID == k.current.id:
		kk = &k.current
	case k.previous != nil && keyID == k.previous.id:
		kk = k.previous
	default:
		return nil, fmt.Errorf("open secret %s: it was sealed with a key that is neither CRONFLOW_SECRET_KEY nor CRONFLOW_SECRET_KEY_PREVIOUS", name)
	}
	n := kk.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("open secret %s: sealed value is too short", name)
	}
	value, err := kk.aead.Open(nil, sealed[:n], sealed[n:], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("open secret %s: %w", name, err)
	}
	return value, nil
}
