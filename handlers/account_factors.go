package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"

	"github.com/cronflow/cronflow/views"
)

// accountFactors fills in the account page's second factors: the TOTP authenticator (or its
// set-up in progress), the recovery codes left, and the passkeys.
func (a *auth) accountFactors(c echo.Context, v *views.Account) error {
	p := currentPrincipal(c)
	ctx := c.Request().Context()
	v.Enrol = p.Stage == stageEnrol
	v.PasskeysOn = a.passkeys != nil
	t, err := a.q.TOTPGet(ctx, p.UserID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("read TOTP of user %d: %w", p.UserID, err)
	case t.ConfirmedAt != nil:
		v.TOTP = true
		if v.RecoveryLeft, err = a.q.RecoveryCodeCountUnused(ctx, p.UserID); err != nil {
			return fmt.Errorf("count recovery codes of user %d: %w", p.UserID, err)
		}
	default:
		secret, err := a.store.TOTPSecret(t)
		if err != nil {
			return err
		}
		key, err := otp.NewKeyFromURL((&url.URL{Scheme: "otpauth", Host: "totp", Path: "/Cronflow:" + p.Name,
			RawQuery: url.Values{"secret": {secret}, "issuer": {"Cronflow"}}.Encode()}).String())
		if err != nil {
			return fmt.Errorf("rebuild TOTP key: %w", err)
		}
		qr, err := qrDataURL(key)
		if err != nil {
			return err
		}
		v.TOTPSetup = &views.TOTPSetup{Secret: secret, QR: qr}
	}
	rows, err := a.q.PasskeyListByUser(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("list passkeys of user %d: %w", p.UserID, err)
	}
	for _, r := range rows {
		v.Passkeys = append(v.Passkeys, views.PasskeyRow{ID: r.ID, Name: r.Name, Created: r.CreatedAt.UTC().Format("2006-01-02 15:04")})
	}
	return nil
}

// handleTOTPStart serves POST /settings/totp: the account page shows a new secret to scan.
func handleTOTPStart(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := a.startTOTP(c); err != nil {
			return err
		}
		return renderAccountWith(c, a, http.StatusOK, nil, nil)
	}
}

// handleTOTPConfirm serves POST /settings/totp/confirm: with the right code the secret counts,
// and the page shows the recovery codes, this once.
func handleTOTPConfirm(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		codes, problem, err := a.confirmTOTP(c, form.Get("code"))
		if err != nil {
			return err
		}
		if problem != "" {
			return renderAccountWith(c, a, http.StatusUnprocessableEntity, map[string]string{"code": problem}, nil)
		}
		p := currentPrincipal(c)
		p.Stage = stageDone
		c.Set(principalKey, p)
		return renderAccountWith(c, a, http.StatusOK, nil, codes)
	}
}

// handleTOTPDelete serves POST /settings/totp/delete: with a current code, the authenticator goes.
func handleTOTPDelete(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		problem, err := a.disableTOTP(c, form.Get("code"))
		if err != nil {
			return err
		}
		if problem != "" {
			return renderAccountWith(c, a, http.StatusUnprocessableEntity, map[string]string{"totp_code": problem}, nil)
		}
		return redirectAfter(c, "/settings/account", "TOTP authenticator removed.")
	}
}
