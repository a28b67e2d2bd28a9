package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// auditEntries are the audit log's entries of action, newest first, with their changes as
// "field=to" pairs.
func (f *fixture) auditEntries(action string) []string {
	f.t.Helper()
	rows, err := f.q.AuditList(context.Background(), sqlcgen.AuditListParams{BeforeID: 1 << 62, MaxRows: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Action != action {
			continue
		}
		var changes map[string]struct{ From, To any }
		if err := json.Unmarshal(r.Changes, &changes); err != nil {
			f.t.Fatal(err)
		}
		line := r.Actor + " " + r.Subject
		for _, k := range []string{"method", "second_factor", "recovery_codes_left"} {
			if c, ok := changes[k]; ok {
				b, _ := json.Marshal(c.To)
				line += " " + k + "=" + string(b)
			}
		}
		out = append(out, line)
	}
	return out
}

func TestSignInsAndRecoveryCodesAreAudited(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setup(t, withAuth(AuthConfig{Clock: clock.Now}))
	_, first := f.passwordLogin()
	if got := f.auditEntries("user.sign_in"); len(got) != 1 || got[0] != testAdmin+" "+testAdmin+` method="password"` {
		t.Fatalf("after a password sign-in: %q", got)
	}
	_, recovery := f.enrolTOTP(first, clock)

	_, cookie := f.passwordLogin()
	if got := f.auditEntries("user.sign_in"); len(got) != 1 {
		t.Errorf("a sign-in that waits for its second step was audited: %q", got)
	}
	if rec := f.sessionPost(cookie, "/login/second-factor", url.Values{"code": {recovery[0]}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", rec.Code)
	}
	want := testAdmin + " " + testAdmin + ` method="password" second_factor="recovery"`
	if got := f.auditEntries("user.sign_in"); len(got) != 2 || got[0] != want {
		t.Errorf("after the second step: %q, want %q first", got, want)
	}
	if got := f.auditEntries("user.recovery_code_used"); len(got) != 1 || got[0] != testAdmin+" "+testAdmin+" recovery_codes_left=9" {
		t.Errorf("recovery code use: %q", got)
	}
	for _, line := range f.auditEntries("user.recovery_code_used") {
		if strings.Contains(strings.ToLower(line), strings.ToLower(recovery[0])) {
			t.Error("the audit log holds the recovery code")
		}
	}
}
