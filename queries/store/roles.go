package store

// Role is what a user or an API token may do. The roles are ordered: each may do everything the
// ones below it may.
type Role string

const (
	// RoleViewer looks at jobs and runs and changes nothing.
	RoleViewer Role = "viewer"
	// RoleEditor creates, changes, runs and deletes jobs.
	RoleEditor Role = "editor"
	// RoleAdmin does everything, managing users and API tokens included.
	RoleAdmin Role = "admin"
)

// Roles are every role, lowest first, as forms and errors list them.
var Roles = []Role{RoleViewer, RoleEditor, RoleAdmin}

func (r Role) rank() int {
	for i, known := range Roles {
		if r == known {
			return i + 1
		}
	}
	return 0 // an unknown role may do nothing
}

// AtLeast reports whether r may do what min may.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

// ParseRole reads a role's name; ok is false for anything else.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, r.rank() > 0
}

// Lower is the lesser of two roles: a token never does more than its owner may.
func Lower(a, b Role) Role {
	if a.rank() < b.rank() {
		return a
	}
	return b
}
