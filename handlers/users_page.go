package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// handleUsersPage serves GET /settings/users: every user, and the form to add one.
func handleUsersPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		return renderUsers(c, q, http.StatusOK, views.UserForm{Role: string(roleViewer)})
	}
}

func renderUsers(c echo.Context, q *sqlcgen.Queries, status int, form views.UserForm) error {
	rows, err := q.UserList(c.Request().Context())
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	now := time.Now()
	users := make([]views.UserRow, len(rows))
	for i, r := range rows {
		users[i] = views.UserRow{ID: r.ID, Name: r.Username, Role: r.Role, Disabled: r.DisabledAt != nil,
			Created: views.NewMoment(&r.CreatedAt, now, time.UTC), LastLogin: views.NewMoment(r.LastLoginAt, now, time.UTC)}
	}
	form.Roles = roleNames(roleAdmin)
	return render(c, status, views.UsersPage(newPage(c, "Users", "users"), users, form))
}

// handleUserCreate serves POST /settings/users: a new user with a name, a password and a role.
func handleUserCreate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		in := userForm(form)
		user, problems, err := st.CreateUser(c.Request().Context(), auditActor(c), in)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return renderUsers(c, q, http.StatusUnprocessableEntity, views.UserForm{Name: in.Name, Role: *in.Role, Errors: problems})
		}
		return redirectAfter(c, "/settings/users", "Added “"+user.Username+"” as "+user.Role+".")
	}
}

// userForm reads a user form's fields; an empty password means "leave it as it is".
func userForm(form url.Values) store.UserChange {
	in := store.UserChange{Name: form.Get("name")}
	r, disabled := form.Get("role"), form.Get("disabled") == "on"
	in.Role, in.Disabled = &r, &disabled
	if pw := form.Get("password"); pw != "" {
		in.Password = &pw
	}
	return in
}

// handleUserPage serves GET /settings/users/{id}: a user's role, whether they are disabled, a new
// password, and deleting them.
func handleUserPage(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		user, err := pathUser(c, a.q)
		if err != nil {
			return err
		}
		return renderUser(c, a, http.StatusOK, user, nil)
	}
}

func renderUser(c echo.Context, a *auth, status int, user sqlcgen.User, problems map[string]string) error {
	v := views.UserEdit{
		ID: user.ID, Name: user.Username, Role: user.Role, Disabled: user.DisabledAt != nil, Roles: roleNames(roleAdmin),
		Keeper: a.store.KeeperOf(callerOf(c), user), Errors: problems,
	}
	return render(c, status, views.UserEditPage(newPage(c, "User “"+user.Username+"”", "users"), v))
}

// handleUserUpdate serves POST /settings/users/{id}. Disabling a user or resetting their password
// ends their sessions; a reset also revokes their API tokens. Another admin's reset of the
// bootstrap admin's password is refused with 403.
func handleUserUpdate(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		target, err := pathUser(c, a.q)
		if err != nil {
			return err
		}
		form, err := readForm(c)
		if err != nil {
			return err
		}
		in := userForm(form)
		user, problems, err := a.store.UpdateUser(c.Request().Context(), auditActor(c), callerOf(c), target, in)
		if errors.Is(err, store.ErrBootstrapPassword) {
			return renderUser(c, a, http.StatusForbidden, target, map[string]string{"password": bootstrapPasswordRefusal})
		}
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return renderUser(c, a, http.StatusUnprocessableEntity, target, problems)
		}
		if resetsTokens(c, target, in) {
			return redirectAfter(c, "/settings/users", "Saved “"+user.Username+"”: a new password, their sessions ended and their API tokens revoked.")
		}
		return redirectAfter(c, "/settings/users", "Saved “"+user.Username+"”.")
	}
}

// handleUserDelete serves POST /settings/users/{id}/delete.
func handleUserDelete(a *auth) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := a.removePathUser(c); err != nil {
			return err
		}
		return redirectAfter(c, "/settings/users", "User deleted, with their sessions and API tokens.")
	}
}
