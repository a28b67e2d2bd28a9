package main

import (
	"strings"

	"github.com/cronflow/cronflow/handlers"
)

// ssoConfig is single sign-on and the second-factor policy (issue 24).
type ssoConfig struct {
	// OIDC is the OpenID provider; nil without CRONFLOW_OIDC_ISSUER.
	OIDC *handlers.OIDCConfig
	// PasswordLoginOff is CRONFLOW_PASSWORD_LOGIN=false: only the bootstrap admin uses a password.
	PasswordLoginOff bool
	// Require2FA is CRONFLOW_REQUIRE_2FA: none, admins or all.
	Require2FA string
}

// sso reads the CRONFLOW_OIDC_* variables, CRONFLOW_PASSWORD_LOGIN and CRONFLOW_REQUIRE_2FA.
// Single sign-on needs an admin password (the bootstrap admin is the way back in when the
// provider is down) and an explicit role mapping: without one, anyone with an account at the
// provider would get in.
func (r *envReader) sso(publicURL, adminPassword string) ssoConfig {
	var c ssoConfig
	c.PasswordLoginOff = !r.boolean("CRONFLOW_PASSWORD_LOGIN", true)
	c.Require2FA = r.str("CRONFLOW_REQUIRE_2FA", "none")
	if c.Require2FA != "none" && c.Require2FA != "admins" && c.Require2FA != "all" {
		r.fail("CRONFLOW_REQUIRE_2FA", "must be none, admins or all, got "+quote(c.Require2FA))
	}
	issuer := strings.TrimSpace(r.getenv("CRONFLOW_OIDC_ISSUER"))
	if issuer == "" {
		if c.PasswordLoginOff {
			r.fail("CRONFLOW_PASSWORD_LOGIN", "can be false only with single sign-on (CRONFLOW_OIDC_ISSUER)")
		}
		return c
	}
	o := &handlers.OIDCConfig{
		Issuer:       r.publicURL("CRONFLOW_OIDC_ISSUER", ""),
		ClientID:     r.str("CRONFLOW_OIDC_CLIENT_ID", ""),
		ClientSecret: r.getenv("CRONFLOW_OIDC_CLIENT_SECRET"),
		RedirectURL:  r.publicURL("CRONFLOW_OIDC_REDIRECT_URL", publicURL+"/login/oidc/callback"),
		Name:         r.str("CRONFLOW_OIDC_NAME", "single sign-on"),
		Scopes:       strings.Fields(r.str("CRONFLOW_OIDC_SCOPES", "profile email")),
		RoleClaim:    r.str("CRONFLOW_OIDC_ROLE_CLAIM", "groups"),
	}
	if o.ClientID == "" {
		r.fail("CRONFLOW_OIDC_CLIENT_ID", "is required with CRONFLOW_OIDC_ISSUER")
	}
	var problems []string
	o.Roles, problems = handlers.ParseOIDCRoles(r.getenv("CRONFLOW_OIDC_ROLES"))
	r.failAll("CRONFLOW_OIDC_ROLES", problems)
	if len(o.Roles) == 0 && len(problems) == 0 {
		r.fail("CRONFLOW_OIDC_ROLES", "is required with CRONFLOW_OIDC_ISSUER, such as ops=admin,dev=editor,*=viewer")
	}
	if adminPassword == "" {
		r.fail("CRONFLOW_OIDC_ISSUER", "needs CRONFLOW_ADMIN_PASSWORD too: the bootstrap admin is the way in when the provider is not")
	}
	c.OIDC = o
	return c
}

func quote(s string) string { return `"` + s + `"` }
