package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Signing in with a passkey: as the second step after a password or single sign-on, and without
// a name or password at all (a discoverable credential, which is two factors by itself).

// nextBody is a sign-in begin's body: where to go on to afterwards.
type nextBody struct {
	Next string `json:"next"`
}

// handlePasskeyFactorBegin serves POST /login/second-factor/passkey/begin {"next"}: a challenge
// for one of the session user's passkeys.
func handlePasskeyFactorBegin(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in nextBody
		if ok, err := decodeOrReject(c, &in, "request"); !ok {
			return err
		}
		p := currentPrincipal(c)
		u, err := a.loadPasskeyUser(c.Request().Context(), p.UserID)
		if err != nil {
			return err
		}
		if len(u.creds) == 0 {
			return c.JSON(http.StatusConflict, apiError{Error: "You have no passkey: use a code from your authenticator app."})
		}
		assertion, session, err := a.passkeys.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return fmt.Errorf("begin passkey sign-in: %w", err)
		}
		flow := passkeyFlow{Session: *session, Next: localPath(in.Next, "/")}
		return a.startCeremony(c, flowPasskeyFactor, &p.UserID, flow, assertion)
	}
}

// handlePasskeyFactorFinish serves POST /login/second-factor/passkey/finish {"flow", "credential"}:
// a good assertion lets the session through its second step.
func handlePasskeyFactorFinish(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := currentPrincipal(c)
		flow, raw, err := a.endCeremony(c, flowPasskeyFactor, &p.UserID)
		if err != nil || raw == nil {
			return err
		}
		u, err := a.loadPasskeyUser(c.Request().Context(), p.UserID)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
		if err != nil {
			return a.passkeyRefused(c, p.Name, err)
		}
		cred, err := a.passkeys.wa.ValidateLogin(u, flow.Session, parsed)
		if err != nil {
			return a.passkeyRefused(c, p.Name, err)
		}
		if ok, err := a.passkeyUsed(c, u, cred); !ok {
			return err
		}
		if err := a.passStage(c, p, "passkey"); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"redirect": flow.Next})
	}
}

// handlePasskeyLoginBegin serves POST /login/passkey/begin {"next"}: a challenge any of the
// browser's passkeys for Cronflow may answer.
func handlePasskeyLoginBegin(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !a.passkeyGuard.allow(c.RealIP()) {
			c.Response().Header().Set("Retry-After", strconv.Itoa(a.passkeyGuard.retryAfter()))
			return c.JSON(http.StatusTooManyRequests, apiError{Error: "Too many passkey sign-ins from this address. Try again in a moment."})
		}
		var in nextBody
		if ok, err := decodeOrReject(c, &in, "request"); !ok {
			return err
		}
		assertion, session, err := a.passkeys.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return fmt.Errorf("begin passkey sign-in: %w", err)
		}
		return a.startCeremony(c, flowPasskeyLogin, nil, passkeyFlow{Session: *session, Next: localPath(in.Next, "/")}, assertion)
	}
}

// handlePasskeyLoginFinish serves POST /login/passkey/finish {"flow", "credential"}: the passkey
// names its user, whose session starts signed in with two factors.
func handlePasskeyLoginFinish(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		flow, raw, err := a.endCeremony(c, flowPasskeyLogin, nil)
		if err != nil || raw == nil {
			return err
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
		if err != nil {
			return a.passkeyRefused(c, "", err)
		}
		var found *passkeyUser
		owner := func(rawID, handle []byte) (webauthn.User, error) {
			u, err := a.passkeyOwner(c, rawID, handle)
			found = u
			return u, err
		}
		_, cred, err := a.passkeys.wa.ValidatePasskeyLogin(owner, flow.Session, parsed)
		if err != nil {
			return a.passkeyRefused(c, "", err)
		}
		if refusal := a.passwordlessRefusal(found.user); refusal != "" {
			a.loginFailed(c, "passkey", found.user.Username, "passwordless sign-in of a user of the identity provider")
			return c.JSON(http.StatusForbidden, apiError{Error: refusal})
		}
		if ok, err := a.passkeyUsed(c, found, cred); !ok {
			return err
		}
		if err := a.startSession(c, found.user, "passkey", stageDone); err != nil {
			return err
		}
		a.logger.Info("Signed in with a passkey", "username", found.user.Username, "client_ip", c.RealIP(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		return c.JSON(http.StatusOK, map[string]string{"redirect": flow.Next})
	}
}

// passkeyOwner finds the enabled user a passwordless sign-in's passkey belongs to: the stored
// passkey's user must be the one its user handle names.
func (a *auth) passkeyOwner(c echo.Context, rawID, handle []byte) (*passkeyUser, error) {
	ctx := c.Request().Context()
	row, err := a.q.PasskeyGetByCredentialID(ctx, rawID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, passkeyUnknown("no such credential")
	}
	if err != nil {
		return nil, fmt.Errorf("find passkey: %w", err)
	}
	if string(handle) != string(userHandle(row.UserID)) {
		return nil, passkeyUnknown("user handle is not the credential's user")
	}
	u, err := a.loadPasskeyUser(ctx, row.UserID)
	if err != nil {
		return nil, err
	}
	if u.user.DisabledAt != nil {
		return nil, passkeyUnknown("user disabled")
	}
	return u, nil
}

// passwordlessRefusal says why user may not sign in with a passkey alone, "" if they may. A
// user of the identity provider signs in there, so that disabling them at the provider (or its
// own policies) cannot be passed by: their passkey serves as the second step after it. The check
// runs after the passkey's signature, so that it tells nothing to whoever holds only an id.
func (a *auth) passwordlessRefusal(user sqlcgen.User) string {
	if a.oidc == nil || user.OidcSubject == nil {
		return ""
	}
	return "Your account signs in through " + a.oidc.cfg.Name + ": sign in there, then use your passkey as the second step."
}

// passkeyUnknown refuses a passwordless sign-in's passkey before its signature is checked: the
// answer says the same whatever the reason, which only the log tells, so that a credential id
// alone reveals nothing about its user.
func passkeyUnknown(reason string) error {
	return protocol.ErrBadRequest.WithDetails("This passkey is not registered with Cronflow, or its user cannot sign in").WithInfo(reason)
}

// passkeyUsed stores a passkey's state after a good assertion (its signature counter). A counter
// that did not go up is go-webauthn's clone warning: two devices hold the same key, so the
// sign-in is refused and the stored counter left as it was.
// ok is false when the answer, a 403, is written already.
func (a *auth) passkeyUsed(c echo.Context, u *passkeyUser, cred *webauthn.Credential) (ok bool, err error) {
	if cred.Authenticator.CloneWarning {
		a.loginFailed(c, "passkey", u.user.Username, "signature counter went back: the passkey may be cloned")
		return false, c.JSON(http.StatusForbidden, apiError{Error: "This passkey's signature counter went back, so it may have " +
			"been copied. Sign-in refused: use another factor, and remove this passkey from your account."})
	}
	stored, err := json.Marshal(cred)
	if err != nil {
		return false, fmt.Errorf("encode passkey: %w", err)
	}
	id := u.rowID(cred.ID)
	if err := a.q.PasskeyUse(c.Request().Context(), sqlcgen.PasskeyUseParams{Credential: stored, ID: id}); err != nil {
		return false, fmt.Errorf("update passkey %d: %w", id, err)
	}
	return true, nil
}
