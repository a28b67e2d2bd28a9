package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRemovingAPasskeyNeedsThePasswordOrACurrentCode(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setupPasskeys(t, AuthConfig{Clock: clock.Now})
	_, cookie := f.passwordLogin()
	for _, name := range []string{"laptop", "phone"} {
		f.registerPasskey(cookie, newSoftAuthenticator(t, passkeyOrigin), name)
	}
	remove := func(proof string) int {
		t.Helper()
		rows, err := f.q.PasskeyListByUser(context.Background(), f.adminID())
		if err != nil || len(rows) == 0 {
			t.Fatalf("passkeys: %v %v", rows, err)
		}
		return f.sessionPost(cookie, "/settings/passkeys/"+itoa64(rows[0].ID)+"/delete", url.Values{"proof": {proof}}).Code
	}
	for name, proof := range map[string]string{"WithNothing": "", "WithAWrongPassword": "not the password", "WithAWrongCode": "123456"} {
		t.Run(name+"ItIsRefused", func(t *testing.T) {
			if code := remove(proof); code != http.StatusUnprocessableEntity || len(f.storedPasskeys(testAdmin)) != 2 {
				t.Errorf("%d, %d passkeys left", code, len(f.storedPasskeys(testAdmin)))
			}
		})
	}
	t.Run("WithThePasswordItGoes", func(t *testing.T) {
		if code := remove(testPassword); code != http.StatusSeeOther || len(f.storedPasskeys(testAdmin)) != 1 {
			t.Errorf("%d, %d passkeys left", code, len(f.storedPasskeys(testAdmin)))
		}
	})
	t.Run("WithACurrentCodeItGoes", func(t *testing.T) {
		secret, _ := f.enrolTOTP(cookie, clock)
		clock.add(time.Minute)
		if code := remove(clock.code(t, secret, 0)); code != http.StatusSeeOther || len(f.storedPasskeys(testAdmin)) != 0 {
			t.Errorf("%d, %d passkeys left", code, len(f.storedPasskeys(testAdmin)))
		}
	})
}
