package secret

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

func newKeyBytes(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	if k, err := ParseKey(" " + good + "\n"); err != nil || len(k) != 32 {
		t.Errorf("ParseKey(openssl's output) = %d bytes, %v", len(k), err)
	}
	for in, want := range map[string]string{
		"not base64!": "must be base64",
		base64.StdEncoding.EncodeToString(make([]byte, 16)): "exactly 32 bytes, got 16",
	} {
		if _, err := ParseKey(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKey(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestSealAndOpen(t *testing.T) {
	t.Parallel()
	oldKey, newKeyRaw := newKeyBytes(t), newKeyBytes(t)
	old, err := NewKeyring(oldKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyID, sealed, err := old.Seal("API_TOKEN", []byte("tok-123"))
	if err != nil || bytes.Contains(sealed, []byte("tok-123")) {
		t.Fatalf("Seal = %x, %v", sealed, err)
	}
	if v, err := old.Open("API_TOKEN", keyID, sealed); err != nil || string(v) != "tok-123" {
		t.Errorf("Open = %q, %v", v, err)
	}

	t.Run("AValueMovedToAnotherNameDoesNotOpen", func(t *testing.T) {
		if _, err := old.Open("OTHER", keyID, sealed); err == nil {
			t.Error("opened under another name")
		}
	})
	t.Run("AfterARotationThePreviousKeyStillOpens", func(t *testing.T) {
		rotated, err := NewKeyring(newKeyRaw, oldKey)
		if err != nil {
			t.Fatal(err)
		}
		if rotated.KeyID() == keyID {
			t.Fatal("the new key has the old key's id")
		}
		if v, err := rotated.Open("API_TOKEN", keyID, sealed); err != nil || string(v) != "tok-123" {
			t.Errorf("Open with the previous key = %q, %v", v, err)
		}
	})
	t.Run("AnotherKeyDoesNotOpen", func(t *testing.T) {
		other, _ := NewKeyring(newKeyRaw, nil)
		if _, err := other.Open("API_TOKEN", keyID, sealed); err == nil || !strings.Contains(err.Error(), "CRONFLOW_SECRET_KEY_PREVIOUS") {
			t.Errorf("Open with another key = %v", err)
		}
	})
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{"API_TOKEN": true, "A1": true, "": false, "api": false, "1A": false, "A-B": false,
		strings.Repeat("A", 101): false} {
		if got := CheckName(name) == ""; got != ok {
			t.Errorf("CheckName(%q) = %q", name, CheckName(name))
		}
	}
}
