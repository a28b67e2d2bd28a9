package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

func TestAPITokensMayExpire(t *testing.T) {
	t.Parallel()
	f := setupSecure(t)
	admin := func(method, target, body string) (int, map[string]any) {
		return f.basicJSON(method, target, testAdmin, testPassword, body)
	}
	t.Run("BadExpiryNamesTheField", func(t *testing.T) {
		for _, at := range []string{"tomorrow", time.Now().Add(-time.Hour).Format(time.RFC3339), time.Now().AddDate(2, 0, 0).Format(time.RFC3339)} {
			code, out := admin(http.MethodPost, "/api/tokens", `{"name": "ci", "expires_at": "`+at+`"}`)
			fields, _ := out["fields"].(map[string]any)
			if code != http.StatusUnprocessableEntity || fields["expires_at"] == nil {
				t.Errorf("expires_at %q: %d %v, want 422 on expires_at", at, code, out)
			}
		}
	})
	at := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	code, out := admin(http.MethodPost, "/api/tokens", `{"name": "ci", "expires_at": "`+at.Format(time.RFC3339)+`"}`)
	token, _ := out["token"].(string)
	if code != http.StatusCreated || out["expires_at"] != at.Format(time.RFC3339) {
		t.Fatalf("a token expiring tomorrow: %d %v", code, out)
	}
	if code, _ := f.bearerJSON(http.MethodGet, "/api/jobs", token, ""); code != http.StatusOK {
		t.Errorf("a token before its expiry: %d", code)
	}
	_, list := admin(http.MethodGet, "/api/tokens", "")
	if tokens, _ := list["tokens"].([]any); len(tokens) != 1 || tokens[0].(map[string]any)["expires_at"] != at.Format(time.RFC3339) {
		t.Errorf("the token list: %v, want expires_at", list)
	}
	if page := f.send(http.MethodGet, "/settings/tokens", nil, "Cookie", f.login()).Body.String(); !strings.Contains(page, `data-testid="token-expires"`) {
		t.Error("the tokens page does not show when a token expires")
	}
	t.Run("AnExpiredTokenIsRefusedLikeAWrongOne", func(t *testing.T) {
		boot, _ := f.q.UserGetByName(context.Background(), testAdmin)
		past := time.Now().Add(-time.Minute)
		expired := store.TokenPrefix + "expired-token-for-the-test"
		if _, err := f.q.APITokenInsert(context.Background(), sqlcgen.APITokenInsertParams{Name: "old", TokenHash: store.HashToken(expired),
			Hint: "cf_e", UserID: boot.ID, Role: "admin", ExpiresAt: &past}); err != nil {
			t.Fatal(err)
		}
		expiredCode, expiredOut := f.bearerJSON(http.MethodGet, "/api/jobs", expired, "")
		wrongCode, wrongOut := f.bearerJSON(http.MethodGet, "/api/jobs", store.TokenPrefix+"no-such-token", "")
		if expiredCode != http.StatusUnauthorized || expiredOut["error"] != wrongOut["error"] || wrongCode != http.StatusUnauthorized {
			t.Errorf("an expired token: %d %v; a wrong one: %d %v", expiredCode, expiredOut, wrongCode, wrongOut)
		}
	})
}
