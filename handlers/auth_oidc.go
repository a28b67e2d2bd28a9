package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// OpenID Connect sign-in: the authorization code flow with PKCE, state and nonce. The state is a
// random token kept in a cookie of this browser and, hashed, as a login flow in the database with
// the nonce, the PKCE verifier and the page to go on to; the callback takes that flow once, so a
// replayed or forged callback finds nothing.
const (
	oidcCookie  = "cronflow_oidc"
	oidcFlowTTL = 10 * time.Minute
)

// oidcClient talks to the provider. Discovery happens at the first sign-in and is kept once it
// succeeds; go-oidc fetches the provider's keys again when a token names a key it does not know,
// which is how a key rotation is followed.
type oidcClient struct {
	cfg    OIDCConfig
	client *http.Client
	ctx    context.Context // carries client, for the discovery and the key set

	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{cfg: cfg, client: client, ctx: oidc.ClientContext(context.Background(), client)}
}

// discover returns the provider, reading its discovery document the first time.
func (o *oidcClient) discover() (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	// The key set that comes with the provider keeps the client but not the deadline of ctx.
	ctx, cancel := context.WithTimeout(o.ctx, 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OpenID provider %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...)}
}

// oidcFlow is what a sign-in keeps between the redirect to the provider and the way back.
type oidcFlow struct {
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
}

// handleOIDCStart serves GET /login/oidc?next=…: the browser goes to the provider to sign in.
// Each start stores a flow, so starts are limited per client address (429 with Retry-After).
func handleOIDCStart(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !a.oidcGuard.allow(c.RealIP()) {
			c.Response().Header().Set("Retry-After", strconv.Itoa(a.oidcGuard.retryAfter()))
			return echo.NewHTTPError(http.StatusTooManyRequests, "Too many sign-ins begun from this address. Try again in a moment.")
		}
		p, err := a.oidc.discover()
		if err != nil {
			a.logger.Error("OpenID provider unreachable", "error", err)
			return echo.NewHTTPError(http.StatusBadGateway, "The identity provider cannot be reached now. Try again in a moment.")
		}
		state := store.NewToken()
		flow := oidcFlow{Nonce: store.NewToken(), Verifier: oauth2.GenerateVerifier(), Next: localPath(c.QueryParam("next"), "/")}
		if err := a.saveFlow(c.Request().Context(), state, "oidc", nil, flow, oidcFlowTTL); err != nil {
			return err
		}
		c.SetCookie(&http.Cookie{Name: oidcCookie, Value: state, Path: "/login/oidc", MaxAge: int(oidcFlowTTL.Seconds()),
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
		url := a.oidc.oauth(p).AuthCodeURL(state, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier))
		return c.Redirect(http.StatusSeeOther, url)
	}
}

// handleOIDCCallback serves GET /login/oidc/callback, where the provider sends the browser back
// with a code: the code becomes an ID token, the token a user, and the user a session.
func handleOIDCCallback(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.SetCookie(&http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
		flow, refusal, err := a.takeOIDCFlow(c)
		if err != nil || refusal != "" {
			return errOr(err, func() error { return a.signInRefused(c, http.StatusBadRequest, refusal) })
		}
		// The provider's words go to the log only: anyone can send a browser here with an error
		// and a description of their choosing.
		if e := c.QueryParam("error"); e != "" {
			a.loginFailed(c, "oidc", "", clip("provider refused: "+e+": "+c.QueryParam("error_description"), 300))
			return a.signInRefused(c, http.StatusUnauthorized, "The identity provider did not sign you in. "+
				"Sign in again, or ask your administrator whether your account may use Cronflow.")
		}
		id, refusal, err := a.oidcIdentity(c, flow)
		if err != nil || refusal != "" {
			return errOr(err, func() error { return a.signInRefused(c, http.StatusForbidden, refusal) })
		}
		user, refusal, err := a.store.SignInOIDC(c.Request().Context(), id)
		if err != nil || refusal != "" {
			return errOr(err, func() error { return a.signInRefused(c, http.StatusForbidden, refusal) })
		}
		a.logger.Info("Signed in through the identity provider", "username", user.Username, "role", user.Role,
			"client_ip", c.RealIP(), "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		return a.signedIn(c, user, "oidc", flow.Next)
	}
}

// errOr returns err if there is one, else what refuse returns.
func errOr(err error, refuse func() error) error {
	if err != nil {
		return err
	}
	return refuse()
}

// takeOIDCFlow takes the sign-in this callback ends: its state must be this browser's, and the
// flow unused and recent.
func (a *auth) takeOIDCFlow(c echo.Context) (oidcFlow, string, error) {
	const stale = "This sign-in did not start in this browser, was used already or took too long. Sign in again."
	var flow oidcFlow
	state := c.QueryParam("state")
	ck, err := c.Cookie(oidcCookie)
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		a.loginFailed(c, "oidc", "", "state does not match this browser's")
		return flow, stale, nil
	}
	row, err := a.q.LoginFlowTake(c.Request().Context(), sqlcgen.LoginFlowTakeParams{TokenHash: store.HashToken(state), Kind: "oidc"})
	if errors.Is(err, pgx.ErrNoRows) {
		a.loginFailed(c, "oidc", "", "no such sign-in in progress")
		return flow, stale, nil
	}
	if err != nil {
		return flow, "", fmt.Errorf("take sign-in flow: %w", err)
	}
	if err := json.Unmarshal(row.Data, &flow); err != nil {
		return flow, "", fmt.Errorf("read sign-in flow: %w", err)
	}
	return flow, "", nil
}

// oidcIdentity exchanges the callback's code for an ID token, checks it (signature, issuer,
// audience, expiry, nonce) and reads who it names and the role their claims map to.
func (a *auth) oidcIdentity(c echo.Context, flow oidcFlow) (store.OIDCIdentity, string, error) {
	var id store.OIDCIdentity
	p, err := a.oidc.discover()
	if err != nil {
		return id, "", err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(c.Request().Context(), a.oidc.client), 15*time.Second)
	defer cancel()
	tok, err := a.oidc.oauth(p).Exchange(ctx, c.QueryParam("code"), oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		a.loginFailed(c, "oidc", "", "code exchange failed: "+err.Error())
		return id, "The identity provider did not accept the sign-in's code. Sign in again.", nil
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: a.oidc.cfg.ClientID}).Verify(ctx, raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(flow.Nonce)) != 1 {
		reason := "nonce does not match"
		if err != nil {
			reason = "ID token refused: " + err.Error()
		}
		a.loginFailed(c, "oidc", "", reason)
		return id, "The identity provider's answer could not be verified. Sign in again.", nil
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return id, "", fmt.Errorf("read ID token claims: %w", err)
	}
	id = store.OIDCIdentity{Issuer: idt.Issuer, Subject: idt.Subject, Username: oidcUsername(claims, idt.Subject)}
	r, ok := roleFor(a.oidc.cfg.Roles, claimValues(claims[a.oidc.cfg.RoleClaim]))
	if !ok {
		a.loginFailed(c, "oidc", id.Username, "role claim maps to no role")
		return id, fmt.Sprintf("You signed in as %s, but your %q claim gives you no role in Cronflow. "+
			"Ask an admin to add you to a group that has one.", id.Username, a.oidc.cfg.RoleClaim), nil
	}
	id.Role = r
	return id, "", nil
}

// oidcUsername is the name a provider's user gets: preferred_username, else email if the provider
// verified it (email_verified true, or "true" as some providers send it), else subject. An
// unverified email is whatever the user typed at the provider, perhaps another person's address.
func oidcUsername(claims map[string]any, subject string) string {
	if s, ok := claims["preferred_username"].(string); ok && s != "" {
		return s
	}
	verified := claims["email_verified"] == true || claims["email_verified"] == "true"
	if s, ok := claims["email"].(string); ok && s != "" && verified {
		return s
	}
	return subject
}

// saveFlow stores a sign-in ceremony's data under a hash of token, for ttl.
func (a *auth) saveFlow(ctx context.Context, token, kind string, userID *int64, data any, ttl time.Duration) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s flow: %w", kind, err)
	}
	if _, err := a.q.LoginFlowDeleteExpired(ctx); err != nil {
		a.logger.Warn("Delete expired sign-in flows failed", "error", err)
	}
	err = a.q.LoginFlowInsert(ctx, sqlcgen.LoginFlowInsertParams{TokenHash: store.HashToken(token), Kind: kind,
		UserID: userID, Data: raw, ExpiresAt: time.Now().Add(ttl)})
	if err != nil {
		return fmt.Errorf("store %s flow: %w", kind, err)
	}
	return nil
}
