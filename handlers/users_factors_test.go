package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOnlyTheBootstrapAdminResetsItsOwnFactors(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setupSecure(t, withAuth(AuthConfig{AdminUser: testAdmin, Clock: clock.Now}))
	f.addUser("ann", "ann's password", roleAdmin)
	_, cookie := f.passwordLogin()
	f.enrolTOTP(cookie, clock)
	boot, err := f.q.UserGetByName(context.Background(), testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ann := f.loginAs("ann", "ann's password")
	t.Run("AnotherAdminIsRefusedInTheAPI", func(t *testing.T) {
		rec := f.sessionJSON(ann, http.MethodDelete, "/api/users/"+itoa64(boot.ID)+"/factors", "")
		if p := f.expectProblem(rec, http.StatusForbidden, ""); !strings.Contains(p.Error, "CRONFLOW_ADMIN_USER") {
			t.Errorf("refusal %q does not name CRONFLOW_ADMIN_USER", p.Error)
		}
	})
	t.Run("AnotherAdminIsRefusedInThePage", func(t *testing.T) {
		form := url.Values{"_csrf": {f.pageToken(ann)}}
		rec := f.send(http.MethodPost, "/settings/users/"+itoa64(boot.ID)+"/factors/reset", formBody(form), "Cookie", ann,
			"Sec-Fetch-Site", "same-origin")
		if rec.Code != http.StatusForbidden {
			t.Errorf("page reset: %d", rec.Code)
		}
	})
	if loc, _ := f.passwordLogin(); !strings.HasPrefix(loc, "/login/second-factor") {
		t.Fatalf("the bootstrap admin's factors were removed: a login goes to %q", loc)
	}
	if strings.Contains(f.auditActions(), "user.factors_reset") {
		t.Error("a refused reset was audited as done")
	}
	t.Run("ItselfMayResetThem", func(t *testing.T) {
		clock.add(time.Minute)
		if rec := f.sessionJSON(cookie, http.MethodDelete, "/api/users/"+itoa64(boot.ID)+"/factors", ""); rec.Code != http.StatusNoContent {
			t.Fatalf("own reset: %d %s", rec.Code, rec.Body)
		}
	})
}
