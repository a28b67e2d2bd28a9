package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
)

// Registering a passkey from the account page, and removing one.

// passkeyNameProblem says what is wrong with a new passkey's name, "" if nothing.
func passkeyNameProblem(name string) string {
	switch {
	case name == "":
		return "is required: say which device this passkey is on"
	case utf8.RuneCountInString(name) > 100:
		return "must be at most 100 characters"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// handlePasskeyRegisterBegin serves POST /settings/passkeys/begin {"name"}: the options for
// navigator.credentials.create, and the flow to finish with.
func handlePasskeyRegisterBegin(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in struct {
			Name string `json:"name"`
		}
		if ok, err := decodeOrReject(c, &in, "passkey"); !ok {
			return err
		}
		name := strings.TrimSpace(in.Name)
		if problem := passkeyNameProblem(name); problem != "" {
			return invalidInput(c, "passkey", map[string]string{"name": problem})
		}
		p := currentPrincipal(c)
		u, err := a.loadPasskeyUser(c.Request().Context(), p.UserID)
		if err != nil {
			return err
		}
		creation, session, err := a.passkeys.wa.BeginRegistration(u, webauthn.WithExclusions(u.descriptors()))
		if err != nil {
			return fmt.Errorf("begin passkey registration: %w", err)
		}
		return a.startCeremony(c, flowPasskeyRegister, &p.UserID, passkeyFlow{Session: *session, Name: name}, creation)
	}
}

// handlePasskeyRegisterFinish serves POST /settings/passkeys/finish {"flow", "credential"}: the
// authenticator's new credential, checked, is stored under the name given at the begin. A session
// that had to enrol a second factor is through.
func handlePasskeyRegisterFinish(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := currentPrincipal(c)
		flow, raw, err := a.endCeremony(c, flowPasskeyRegister, &p.UserID)
		if err != nil || raw == nil {
			return err
		}
		u, err := a.loadPasskeyUser(c.Request().Context(), p.UserID)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
		if err != nil {
			return a.passkeyRefused(c, p.Name, err)
		}
		cred, err := a.passkeys.wa.CreateCredential(u, flow.Session, parsed)
		if err != nil {
			return a.passkeyRefused(c, p.Name, err)
		}
		stored, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("encode passkey: %w", err)
		}
		err = a.store.AddPasskey(c.Request().Context(), auditActor(c), callerOf(c), flow.Name, cred.ID, stored)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return c.JSON(http.StatusConflict, apiError{Error: "This passkey is registered already."})
		}
		if err != nil {
			return err
		}
		a.logger.Info("Passkey added", "username", p.Name, "client_ip", c.RealIP())
		if err := a.passStage(c, p, "passkey"); err != nil {
			return err
		}
		setFlash(c, "Passkey "+flow.Name+" added.")
		return c.JSON(http.StatusCreated, map[string]string{"name": flow.Name, "redirect": "/settings/account"})
	}
}

// handlePasskeyDelete serves POST /settings/passkeys/{id}/delete: with proof, the account's
// password or a current code of its authenticator app, one of the user's passkeys goes. The
// session alone is not enough, as for the authenticator app: whoever took over a session could
// otherwise remove the factors that keep them out next time.
func handlePasskeyDelete(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		form, err := readForm(c)
		if err != nil {
			return err
		}
		if problem, err := a.checkRemovalProof(c, form.Get("proof")); err != nil || problem != "" {
			return errOr(err, func() error {
				return renderAccountWith(c, a, http.StatusUnprocessableEntity, map[string]string{"proof": problem}, nil)
			})
		}
		err = a.store.RemovePasskey(c.Request().Context(), auditActor(c), callerOf(c), id)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: you have no such passkey.")
		}
		if err != nil {
			return err
		}
		return redirectAfter(c, "/settings/account", "Passkey removed.")
	}
}

// checkRemovalProof checks proof of the session's user: six digits are a current TOTP code, anything
// else the password; both go through their guards against guessing. problem says what is wrong.
func (a *auth) checkRemovalProof(c echo.Context, proof string) (problem string, err error) {
	const wrong = "is neither your password nor a current code of your authenticator app"
	p := currentPrincipal(c)
	proof = strings.TrimSpace(proof)
	switch {
	case proof == "":
		return "must be your password or a current code of your authenticator app", nil
	case len(proof) == totpDigits && strings.Trim(proof, "0123456789") == "":
		via, err := a.checkFactorCode(c, p.UserID, p.Name, proof, false)
		if err != nil || via == "" {
			return wrong, err
		}
	default:
		user, err := a.checkPassword(c, "passkey removal", p.Name, proof)
		if err != nil || user == nil {
			return wrong, err
		}
	}
	return "", nil
}
