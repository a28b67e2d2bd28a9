package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAnotherAdminCannotResetTheBootstrapAdminsPassword(t *testing.T) {
	t.Parallel()
	f := setupSecure(t)
	f.addUser("ann", "ann's password", roleAdmin)
	boot, err := f.q.UserGetByName(context.Background(), testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/users/%d", boot.ID)
	t.Run("InTheAPI", func(t *testing.T) {
		code, out := f.basicJSON(http.MethodPut, path, "ann", "ann's password", `{"password": "taken over now"}`)
		msg, _ := out["error"].(string)
		if code != http.StatusForbidden || !strings.Contains(msg, "CRONFLOW_ADMIN_USER") {
			t.Errorf("another admin's reset: %d %v, want 403 naming CRONFLOW_ADMIN_USER", code, out)
		}
	})
	t.Run("InThePage", func(t *testing.T) {
		cookie := f.loginAs("ann", "ann's password")
		form := url.Values{"role": {"admin"}, "password": {"taken over now"}, "_csrf": {f.pageToken(cookie)}}
		rec := f.send(http.MethodPost, "/settings/users/"+itoa64(boot.ID), formBody(form), "Cookie", cookie)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "CRONFLOW_ADMIN_USER") {
			t.Errorf("another admin's reset in the page: %d, want 403 with a message", rec.Code)
		}
	})
	if code, _ := f.basicJSON(http.MethodGet, "/api/jobs", testAdmin, testPassword, ""); code != http.StatusOK {
		t.Errorf("the bootstrap admin's password no longer works: %d", code)
	}
	t.Run("ItselfCanChangeIt", func(t *testing.T) {
		code, out := f.basicJSON(http.MethodPut, path, testAdmin, testPassword, `{"password": "its own choice"}`)
		if code != http.StatusOK {
			t.Fatalf("the bootstrap admin's own change: %d %v", code, out)
		}
	})
}

func TestAPasswordResetRevokesTheUsersTokensAndSaysSo(t *testing.T) {
	t.Parallel()
	f := setupSecure(t)
	dee := f.addUser("dee", "dee's password", roleAdmin)
	code, out := f.basicJSON(http.MethodPost, "/api/tokens", "dee", "dee's password", `{"name": "ci", "role": "editor"}`)
	token, _ := out["token"].(string)
	if code != http.StatusCreated || token == "" {
		t.Fatalf("dee's token: %d %v", code, out)
	}
	code, out = f.basicJSON(http.MethodPut, "/api/users/"+itoa64(dee.ID), testAdmin, testPassword, `{"password": "a reset password"}`)
	if code != http.StatusOK || out["tokens_revoked"] != true {
		t.Fatalf("reset: %d %v, want 200 saying tokens_revoked", code, out)
	}
	if code, _ := f.bearerJSON(http.MethodGet, "/api/jobs", token, ""); code != http.StatusUnauthorized {
		t.Errorf("the token after a reset: %d, want 401", code)
	}
	cookie := f.login()
	form := url.Values{"role": {"admin"}, "password": {"another reset pw"}, "_csrf": {f.pageToken(cookie)}}
	rec := f.send(http.MethodPost, "/settings/users/"+itoa64(dee.ID), formBody(form), "Cookie", cookie)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reset in the page: %d", rec.Code)
	}
	flash := ""
	for _, c := range rec.Result().Cookies() {
		if c.Name == flashCookie {
			flash, _ = url.QueryUnescape(c.Value)
		}
	}
	if !strings.Contains(flash, "API tokens revoked") {
		t.Errorf("the flash after a reset is %q, want it to say the user's API tokens were revoked", flash)
	}
}
