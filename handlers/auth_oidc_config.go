package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cronflow/cronflow/queries/store"
)

// OIDCConfig is single sign-on through an OpenID Connect provider (CRONFLOW_OIDC_*).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration", and the ID tokens must name it exactly.
	Issuer string
	// ClientID and ClientSecret are Cronflow's registration at the provider.
	ClientID, ClientSecret string
	// RedirectURL is where the provider sends the browser back: the public URL's
	// /login/oidc/callback, registered at the provider.
	RedirectURL string
	// Name is what the login page's button calls the provider.
	Name string
	// Scopes are asked for besides openid; the role claim may need one (groups, for Dex).
	Scopes []string
	// RoleClaim names the ID token claim whose values Roles maps to a role.
	RoleClaim string
	// Roles map the role claim's values to roles; a user whose values map to none is refused.
	Roles []RoleRule
	// HTTPClient talks to the provider; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
}

// RoleRule gives Role to a user whose role claim holds Value; the Value "*" matches everyone.
type RoleRule struct {
	Value string
	Role  store.Role
}

// ParseOIDCRoles reads a role mapping such as "ops=admin,dev=editor,*=viewer". A bad entry is a
// problem, worded to follow the name of the variable it came from.
func ParseOIDCRoles(list string) (rules []RoleRule, problems []string) {
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		value, name, ok := strings.Cut(part, "=")
		r, known := store.ParseRole(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if !ok || value == "" || !known {
			problems = append(problems, fmt.Sprintf("must list value=role pairs such as ops=admin,*=viewer, "+
				"with the roles viewer, editor or admin; %q is not one", part))
			continue
		}
		rules = append(rules, RoleRule{Value: value, Role: r})
	}
	return rules, problems
}

// roleFor is the highest role that rules give to a user whose role claim holds values; ok is false
// when they give none.
func roleFor(rules []RoleRule, values []string) (r store.Role, ok bool) {
	for _, rule := range rules {
		matches := rule.Value == "*"
		for _, v := range values {
			matches = matches || v == rule.Value
		}
		if matches && (!ok || !r.AtLeast(rule.Role)) {
			r, ok = rule.Role, true
		}
	}
	return r, ok
}

// claimValues reads a claim that is a string or a list of strings (groups usually are).
func claimValues(claim any) []string {
	switch v := claim.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, item := range v {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
