package handlers

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// TOTP as RFC 6238 has it: HMAC-SHA1, 30-second steps, 6 digits, and a code of the step before or
// after accepted too, for clocks that differ a little. A step's code is accepted once.
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1
)

// totpCode is the code of a time step for a secret (RFC 4226's HOTP of the step).
func totpCode(secret []byte, step int64) string {
	m := hmac.New(sha1.New, secret)
	_ = binary.Write(m, binary.BigEndian, step)
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, n%1_000_000)
}

// totpMatch finds the time step, around now, whose code is code; ok is false if none is.
func totpMatch(secretB32, code string, now time.Time) (step int64, ok bool) {
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secretB32, "=")))
	if err != nil || len(code) != totpDigits {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for s := current - totpSkew; s <= current+totpSkew; s++ {
		if subtle.ConstantTimeCompare([]byte(totpCode(secret, s)), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// checkFactorCode reports whether code is a current TOTP code of the user never used before, or
// one of their unused recovery codes, which it spends; via says which ("totp", "recovery"). Checks
// go through a per-user guard, as passwords do: a refusal is a 429 that says when to try again.
func (a *auth) checkFactorCode(c echo.Context, userID int64, username, code string, recovery bool) (via string, err error) {
	key := strconv.FormatInt(userID, 10)
	refund, ok := a.factorGuard.reserve(key)
	if !ok {
		a.loginFailed(c, "second factor", username, "too many wrong codes")
		c.Response().Header().Set("Retry-After", strconv.Itoa(a.factorGuard.retryAfter()))
		return "", echo.NewHTTPError(http.StatusTooManyRequests,
			fmt.Sprintf("Too many wrong codes. Try again in %d seconds.", a.factorGuard.retryAfter()))
	}
	ctx := c.Request().Context()
	code = strings.TrimSpace(code)
	if t, err := a.q.TOTPGet(ctx, userID); err == nil && t.ConfirmedAt != nil {
		secret, err := a.store.TOTPSecret(t)
		if err != nil {
			refund()
			return "", err
		}
		if step, ok := totpMatch(secret, strings.ReplaceAll(code, " ", ""), a.now()); ok {
			n, err := a.q.TOTPUseStep(ctx, sqlcgen.TOTPUseStepParams{UserID: userID, Step: step})
			if err != nil {
				refund()
				return "", fmt.Errorf("note TOTP step of user %d: %w", userID, err)
			}
			if n == 1 {
				refund()
				return "totp", nil
			}
		}
	} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		refund()
		return "", fmt.Errorf("read TOTP of user %d: %w", userID, err)
	}
	if recovery && len(code) > totpDigits {
		used, err := a.store.UseRecoveryCode(ctx, userID, username, code)
		if err != nil {
			refund()
			return "", err
		}
		if used {
			refund()
			return "recovery", nil
		}
	}
	a.loginFailed(c, "second factor", username, "wrong or used code")
	return "", nil
}

// handleSecondFactorPage serves GET /login/second-factor, the second step of a login.
func handleSecondFactorPage(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		return a.renderSecondFactor(c, http.StatusOK, "")
	}
}

func (a *auth) renderSecondFactor(c echo.Context, status int, problem string) error {
	p := currentPrincipal(c)
	f, err := a.q.UserFactors(c.Request().Context(), p.UserID)
	if err != nil {
		return fmt.Errorf("read factors of user %d: %w", p.UserID, err)
	}
	next := c.QueryParam("next")
	if c.Request().Method == http.MethodPost {
		next = c.FormValue("next")
	}
	v := views.SecondFactorForm{Next: localPath(next, "/"), Error: problem, TOTP: f.Totp, Passkeys: f.Passkeys > 0 && a.passkeys != nil}
	return render(c, status, views.SecondFactorPage(newPage(c, "Second step", "login"), v))
}

// handleSecondFactor serves POST /login/second-factor: a current TOTP code or a recovery code in
// the field code lets the session through.
func handleSecondFactor(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		p := currentPrincipal(c)
		via, err := a.checkFactorCode(c, p.UserID, p.Name, form.Get("code"), true)
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusTooManyRequests {
			msg, _ := he.Message.(string)
			return a.renderSecondFactor(c, http.StatusTooManyRequests, msg)
		}
		if err != nil {
			return err
		}
		if via == "" {
			return a.renderSecondFactor(c, http.StatusUnauthorized, "That code is wrong or was used already.")
		}
		if err := a.passStage(c, p, via); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, localPath(form.Get("next"), "/"))
	}
}

// passStage lets the request's session through its stage, noting the factor it used.
func (a *auth) passStage(c echo.Context, p principal, factor string) error {
	if p.Via != credSession || p.Stage == stageDone {
		return nil
	}
	if _, err := a.q.SessionPass(c.Request().Context(), sqlcgen.SessionPassParams{ID: p.SessionID, Method: p.Method + "+" + factor}); err != nil {
		return fmt.Errorf("pass session %d: %w", p.SessionID, err)
	}
	if err := a.store.RecordSignIn(c.Request().Context(), p.Name, p.Method, factor); err != nil {
		return err
	}
	a.logger.Info("Second factor passed", "username", p.Name, "factor", factor, "client_ip", c.RealIP())
	return nil
}
