package handlers

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/cronflow/cronflow/sqlcgen"
)

func TestTOTPCodesFollowRFC6238(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890") // RFC 6238 appendix B, SHA-1; the last six digits
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		if got := totpCode(secret, unix/totpPeriod); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	if _, ok := totpMatch(b32, "287082", time.Unix(59+totpPeriod, 0)); !ok {
		t.Error("the code of the step before is refused")
	}
	if _, ok := totpMatch(b32, "287082", time.Unix(59+2*totpPeriod, 0)); ok {
		t.Error("the code of two steps before is accepted")
	}
}

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// code is the TOTP code of secret at the clock's time plus d, from pquerna/otp: an implementation
// independent of the server's.
func (c *testClock) code(t *testing.T, secret string, d time.Duration) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, c.Now().Add(d), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// sessionPost posts a form with a session, and its CSRF token (which works in any stage).
func (f *fixture) sessionPost(cookie, target string, v url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	v.Set("_csrf", csrfTokenFrom(strings.TrimPrefix(cookie, sessionCookie+"=")))
	return f.send(http.MethodPost, target, formBody(v), "Cookie", cookie, "Sec-Fetch-Site", "same-origin")
}

// sessionJSON sends a JSON API request with a session and its CSRF token.
func (f *fixture) sessionJSON(cookie, method, target, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.send(method, target, jsonBody(body), "Content-Type", "application/json", "Cookie", cookie,
		"Sec-Fetch-Site", "same-origin", "X-CSRF-Token", csrfTokenFrom(strings.TrimPrefix(cookie, sessionCookie+"=")))
}

// passwordLogin logs in with the form and returns the answer's location and session cookie.
func (f *fixture) passwordLogin() (string, string) {
	f.t.Helper()
	rec := f.send(http.MethodPost, "/login", formBody(url.Values{"username": {testAdmin}, "password": {testPassword}, "next": {"/jobs"}}),
		"Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		f.t.Fatalf("login: %d", rec.Code)
	}
	return rec.Header().Get("Location"), sessionOf(rec)
}

// enrolTOTP enrols a TOTP authenticator through the API and returns its secret and recovery codes.
func (f *fixture) enrolTOTP(cookie string, clock *testClock) (string, []string) {
	f.t.Helper()
	var setupAns struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
	}
	f.expect(f.sessionJSON(cookie, http.MethodPost, "/api/account/totp", ""), http.StatusCreated, &setupAns)
	if !strings.HasPrefix(setupAns.OTPAuthURL, "otpauth://totp/") || setupAns.Secret == "" {
		f.t.Fatalf("setup answer %+v", setupAns)
	}
	f.expectProblem(f.sessionJSON(cookie, http.MethodPost, "/api/account/totp/confirm", `{"code":"000000"}`), http.StatusUnprocessableEntity, "code")
	var confirmed struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	f.expect(f.sessionJSON(cookie, http.MethodPost, "/api/account/totp/confirm", `{"code":"`+clock.code(f.t, setupAns.Secret, 0)+`"}`),
		http.StatusOK, &confirmed)
	if len(confirmed.RecoveryCodes) != 10 {
		f.t.Fatalf("recovery codes: %v", confirmed.RecoveryCodes)
	}
	return setupAns.Secret, confirmed.RecoveryCodes
}

func TestTOTPSecondFactor(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setup(t, withAuth(AuthConfig{Clock: clock.Now}))
	_, first := f.passwordLogin()
	secret, recovery := f.enrolTOTP(first, clock)

	secondStep := func(code string) (status int, cookie string) {
		t.Helper()
		loc, cookie := f.passwordLogin()
		if loc != "/login/second-factor?next=%2Fjobs" {
			t.Fatalf("a password login went to %q, want the second step", loc)
		}
		rec := f.sessionPost(cookie, "/login/second-factor", url.Values{"code": {code}, "next": {"/jobs"}})
		return rec.Code, cookie
	}
	t.Run("UntilTheSecondStepTheSessionReachesNothing", func(t *testing.T) {
		_, cookie := f.passwordLogin()
		if rec := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie); rec.Code != http.StatusSeeOther ||
			!strings.HasPrefix(rec.Header().Get("Location"), "/login/second-factor") {
			t.Errorf("/jobs: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		f.expectProblem(f.send(http.MethodGet, "/api/jobs", nil, "Cookie", cookie), http.StatusForbidden, "")
		find(t, f.parse(f.send(http.MethodGet, "/login/second-factor", nil, "Cookie", cookie), http.StatusOK), "second-factor-form")
	})
	t.Run("AWrongCodeIsRefused", func(t *testing.T) {
		if status, _ := secondStep("123456"); status != http.StatusUnauthorized {
			t.Errorf("%d", status)
		}
	})
	t.Run("TheCodeUsedToConfirmIsNotAcceptedAgain", func(t *testing.T) {
		if status, _ := secondStep(clock.code(t, secret, 0)); status != http.StatusUnauthorized {
			t.Errorf("%d", status)
		}
	})
	t.Run("TheNextCodeLetsTheSessionThroughOnce", func(t *testing.T) {
		clock.add(30 * time.Second)
		code := clock.code(t, secret, 0)
		status, cookie := secondStep(code)
		if status != http.StatusSeeOther {
			t.Fatalf("%d", status)
		}
		if rec := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie); rec.Code != http.StatusOK {
			t.Errorf("/jobs after the second step: %d", rec.Code)
		}
		if status, _ := secondStep(code); status != http.StatusUnauthorized {
			t.Errorf("the same code again: %d", status)
		}
	})
	t.Run("ARecoveryCodeWorksOnce", func(t *testing.T) {
		if status, _ := secondStep(strings.ToUpper(recovery[3])); status != http.StatusSeeOther {
			t.Errorf("first use: %d", status)
		}
		if status, _ := secondStep(recovery[3]); status != http.StatusUnauthorized {
			t.Errorf("second use: %d", status)
		}
	})
	t.Run("HTTPBasicIsRefusedWithAPointerToTokens", func(t *testing.T) {
		p := f.expectProblem(f.send(http.MethodGet, "/api/jobs", nil, "Authorization", "Basic "+basic(testAdmin, testPassword)),
			http.StatusUnauthorized, "")
		if !strings.Contains(p.Error, "API token") {
			t.Errorf("error %q does not point to API tokens", p.Error)
		}
	})
	t.Run("WrongCodesAreGuardedPerUser", func(t *testing.T) {
		_, cookie := f.passwordLogin()
		var last int
		for range 7 {
			last = f.sessionPost(cookie, "/login/second-factor", url.Values{"code": {"000000"}}).Code
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("after 7 wrong codes: %d", last)
		}
	})
}

func TestTOTPRemovalNeedsACurrentCode(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setup(t, withAuth(AuthConfig{Clock: clock.Now}))
	_, cookie := f.passwordLogin()
	secret, _ := f.enrolTOTP(cookie, clock)
	f.expectProblem(f.sessionJSON(cookie, http.MethodDelete, "/api/account/totp", `{"code":"111111"}`), http.StatusUnprocessableEntity, "code")
	clock.add(30 * time.Second)
	if rec := f.sessionJSON(cookie, http.MethodDelete, "/api/account/totp", `{"code":"`+clock.code(t, secret, 0)+`"}`); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if loc, _ := f.passwordLogin(); loc != "/jobs" {
		t.Errorf("without TOTP a login goes to %q", loc)
	}
	if got := f.auditActions(); !strings.Contains(got, "user.totp_disable") || !strings.Contains(got, "user.totp_enable") {
		t.Errorf("audit log: %s", got)
	}
}

func TestPolicySendsUncoveredUsersToEnrolment(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setup(t, withAuth(AuthConfig{Clock: clock.Now, Require2FA: "admins"}))
	loc, cookie := f.passwordLogin()
	if loc != "/settings/account" {
		t.Fatalf("login went to %q, want the account page", loc)
	}
	if rec := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("/jobs before enrolment: %d", rec.Code)
	}
	find(t, f.parse(f.send(http.MethodGet, "/settings/account", nil, "Cookie", cookie), http.StatusOK), "factors-required")
	doc := f.parse(f.sessionPost(cookie, "/settings/totp", url.Values{}), http.StatusOK)
	secret := find(t, doc, "totp-secret").Text()
	find(t, doc, "totp-qr")
	doc = f.parse(f.sessionPost(cookie, "/settings/totp/confirm", url.Values{"code": {clock.code(t, secret, 0)}}), http.StatusOK)
	if n := find(t, doc, "recovery-code").Length(); n != 10 {
		t.Errorf("%d recovery codes shown", n)
	}
	if rec := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie); rec.Code != http.StatusOK {
		t.Errorf("/jobs after enrolment: %d", rec.Code)
	}
}

// auditActions lists the audit log's actions, newest first.
func (f *fixture) auditActions() string {
	f.t.Helper()
	rows, err := f.q.AuditList(context.Background(), sqlcgen.AuditListParams{BeforeID: 1 << 62, MaxRows: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Action)
	}
	return strings.Join(out, " ")
}

func TestAdminResetsAUsersFactors(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setup(t, withAuth(AuthConfig{Clock: clock.Now}))
	_, cookie := f.passwordLogin()
	f.enrolTOTP(cookie, clock)
	admin, err := f.q.UserGetByName(context.Background(), testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if rec := f.sessionJSON(cookie, http.MethodDelete, "/api/users/"+itoa64(admin.ID)+"/factors", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("reset: %d %s", rec.Code, rec.Body)
	}
	if loc, _ := f.passwordLogin(); loc != "/jobs" {
		t.Errorf("after the reset a login goes to %q, want no second step", loc)
	}
	if rec := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("the reset left the user's session alive: %d", rec.Code)
	}
	if !strings.Contains(f.auditActions(), "user.factors_reset") {
		t.Errorf("audit log: %s", f.auditActions())
	}
}

func TestTOTPSecretSealedWithASecretKey(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	f := setup(t, withAuth(AuthConfig{Clock: clock.Now}), withSecretKey(t))
	_, cookie := f.passwordLogin()
	secret, _ := f.enrolTOTP(cookie, clock)
	row, err := f.q.TOTPGet(context.Background(), f.adminID())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row.Secret, secret) || !strings.HasPrefix(row.Secret, "sealed:") {
		t.Fatalf("the column holds %q, want the secret sealed", row.Secret)
	}
	clock.add(time.Minute)
	_, second := f.passwordLogin()
	if rec := f.sessionPost(second, "/login/second-factor", url.Values{"code": {clock.code(t, secret, 0)}, "next": {"/jobs"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("second step with a current code: %d", rec.Code)
	}
	if code := f.send(http.MethodGet, "/jobs", nil, "Cookie", second).Code; code != http.StatusOK {
		t.Errorf("/jobs after the second step: %d", code)
	}
}
