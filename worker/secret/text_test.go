package secret

import (
	"errors"
	"strings"
	"testing"
)

func TestSealTextAndOpenText(t *testing.T) {
	t.Parallel()
	const plain = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	oldKey, newKey := newKeyBytes(t), newKeyBytes(t)
	old, err := NewKeyring(oldKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.SealText(plain)
	if err != nil || strings.Contains(sealed, "whsec_") || !strings.HasPrefix(sealed, old.SealedTextPrefix()) || !IsSealedText(sealed) {
		t.Fatalf("SealText = %q, %v", sealed, err)
	}
	if v, err := old.OpenText(sealed); err != nil || v != plain {
		t.Errorf("OpenText = %q, %v", v, err)
	}

	t.Run("APlainValueOpensAsItIs", func(t *testing.T) {
		if v, err := old.OpenText(plain); err != nil || v != plain || IsSealedText(plain) {
			t.Errorf("OpenText(plain) = %q, %v", v, err)
		}
	})
	t.Run("WithoutAKeyValuesStayPlain", func(t *testing.T) {
		var none *Keyring
		if v, err := none.SealText(plain); err != nil || v != plain {
			t.Errorf("SealText without a key = %q, %v", v, err)
		}
		if _, err := none.OpenText(sealed); !errors.Is(err, ErrSealedNoKey) {
			t.Errorf("OpenText of a sealed value without a key = %v", err)
		}
	})
	t.Run("AfterARotationThePreviousKeyStillOpens", func(t *testing.T) {
		rotated, _ := NewKeyring(newKey, oldKey)
		if strings.HasPrefix(sealed, rotated.SealedTextPrefix()) {
			t.Error("a value under the old key has the new key's prefix")
		}
		if v, err := rotated.OpenText(sealed); err != nil || v != plain {
			t.Errorf("OpenText with the previous key = %q, %v", v, err)
		}
	})
	t.Run("ATamperedValueDoesNotOpen", func(t *testing.T) {
		for _, bad := range []string{sealed[:len(sealed)-4] + "AAA=", "sealed:nokeyid", old.SealedTextPrefix() + "!!"} {
			if v, err := old.OpenText(bad); err == nil {
				t.Errorf("OpenText(%q) = %q, want an error", bad, v)
			}
		}
	})
}
