package handlers

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/cronflow/cronflow/queries/store"
)

// TOTP enrolment: a new secret (shown once as a QR code and as text), confirmed by a code from
// the authenticator app, which returns the recovery codes; and its removal, with a current code.

// newTOTPKey makes a secret for a user, and the otpauth:// URL an authenticator app reads.
func newTOTPKey(username string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Cronflow", AccountName: username, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("make TOTP secret: %w", err)
	}
	return key, nil
}

// startTOTP makes and stores a new unconfirmed secret for the request's user; a user with a
// confirmed one gets a 409.
func (a *auth) startTOTP(c echo.Context) (*otp.Key, error) {
	p := currentPrincipal(c)
	key, err := newTOTPKey(p.Name)
	if err != nil {
		return nil, err
	}
	err = a.store.StartTOTP(c.Request().Context(), p.UserID, key.Secret())
	if errors.Is(err, store.ErrFactorEnrolled) {
		return nil, echo.NewHTTPError(http.StatusConflict, "You have a TOTP authenticator already: remove it first to set up another.")
	}
	return key, err
}

// confirmTOTP checks code against the user's unconfirmed secret and, if right, confirms it and
// returns the recovery codes. problem says what is wrong with code.
func (a *auth) confirmTOTP(c echo.Context, code string) (codes []string, problem string, err error) {
	p := currentPrincipal(c)
	ctx := c.Request().Context()
	t, err := a.q.TOTPGet(ctx, p.UserID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && t.ConfirmedAt != nil) {
		return nil, "", echo.NewHTTPError(http.StatusConflict, "There is no TOTP set-up to confirm: start one first.")
	}
	if err != nil {
		return nil, "", fmt.Errorf("read TOTP of user %d: %w", p.UserID, err)
	}
	secret, err := a.store.TOTPSecret(t)
	if err != nil {
		return nil, "", err
	}
	refund, ok := a.factorGuard.reserve(fmt.Sprint(p.UserID))
	if !ok {
		return nil, "", echo.NewHTTPError(http.StatusTooManyRequests, "Too many wrong codes. Try again in a minute.")
	}
	step, ok := totpMatch(secret, strings.TrimSpace(code), a.now())
	if !ok {
		return nil, "is not the code your app shows now", nil
	}
	refund()
	codes, ok, err = a.store.ConfirmTOTP(ctx, auditActor(c), callerOf(c), step)
	if err != nil || !ok {
		return nil, "is not the code your app shows now", err
	}
	return codes, "", a.passStage(c, p, "totp")
}

// disableTOTP removes the user's TOTP secret if code is a current one of it.
func (a *auth) disableTOTP(c echo.Context, code string) (problem string, err error) {
	p := currentPrincipal(c)
	t, err := a.q.TOTPGet(c.Request().Context(), p.UserID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && t.ConfirmedAt == nil) {
		return "", echo.NewHTTPError(http.StatusNotFound, "Not found: you have no TOTP authenticator.")
	}
	if err != nil {
		return "", fmt.Errorf("read TOTP of user %d: %w", p.UserID, err)
	}
	via, err := a.checkFactorCode(c, p.UserID, p.Name, code, false)
	if err != nil {
		return "", err
	}
	if via == "" {
		return "is not a current code of your authenticator", nil
	}
	return "", a.store.DisableTOTP(c.Request().Context(), auditActor(c), callerOf(c))
}

// totpSetup is the new secret as the API answers it.
type totpSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// handleAPITOTPStart serves POST /api/account/totp: a new secret, to confirm with a code.
func handleAPITOTPStart(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := a.startTOTP(c)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, totpSetup{Secret: key.Secret(), OTPAuthURL: key.URL()})
	}
}

// codeBody is the body of the TOTP confirmation and removal.
type codeBody struct {
	Code string `json:"code"`
}

// handleAPITOTPConfirm serves POST /api/account/totp/confirm {"code"}: the secret counts from now
// on, and the answer holds the ten recovery codes, shown this once.
func handleAPITOTPConfirm(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in codeBody
		if ok, err := decodeOrReject(c, &in, "code"); !ok {
			return err
		}
		codes, problem, err := a.confirmTOTP(c, in.Code)
		if err != nil {
			return err
		}
		if problem != "" {
			return invalidInput(c, "code", map[string]string{"code": problem})
		}
		return c.JSON(http.StatusOK, map[string][]string{"recovery_codes": codes})
	}
}

// handleAPITOTPDelete serves DELETE /api/account/totp {"code"}, with a current code: 204.
func handleAPITOTPDelete(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in codeBody
		if ok, err := decodeOrReject(c, &in, "code"); !ok {
			return err
		}
		problem, err := a.disableTOTP(c, in.Code)
		if err != nil {
			return err
		}
		if problem != "" {
			return invalidInput(c, "code", map[string]string{"code": problem})
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// qrDataURL is a QR code of an otpauth:// URL, as a data: URL an <img> shows.
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", fmt.Errorf("draw QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
