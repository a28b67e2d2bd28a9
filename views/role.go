package views

import "context"

// Role is what the request's user may do, as far as a page needs to know: the dashboard shows only
// the actions a role may take. The server checks every request on its own; hiding is for clarity.
type Role struct {
	// Edit is true for editors and admins, who change jobs and run them.
	Edit bool
	// Admin is true for admins, who manage users and API tokens.
	Admin bool
}

type roleKey struct{}

// WithRole puts the request's role where every component finds it.
func WithRole(ctx context.Context, r Role) context.Context {
	return context.WithValue(ctx, roleKey{}, r)
}

// can is the request's role. Without one (a component rendered outside a request, as in tests),
// everything is shown, as it is with authentication off.
func can(ctx context.Context) Role {
	if r, ok := ctx.Value(roleKey{}).(Role); ok {
		return r
	}
	return Role{Edit: true}
}
