package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
)

// secrets is what the secrets' routes need: the store, which seals and changes them, and the
// queries that list them.
type secrets struct {
	q  *sqlcgen.Queries
	st *store.Store
}

// secretJSON is a secret as the API shows it: its name and dates, never its value.
type secretJSON struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Jobs      *int64    `json:"jobs,omitempty"`
}

// jobRef names a job that uses a secret.
type jobRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// create stores a new secret (see store.CreateSecret) as the request's actor.
func (s secrets) create(c echo.Context, name, value string) (secretJSON, map[string]string, error) {
	out, problems, err := s.st.CreateSecret(c.Request().Context(), auditActor(c), name, value)
	return secretJSON{Name: out.Name, CreatedAt: out.CreatedAt, UpdatedAt: out.UpdatedAt}, problems, err
}

// update gives a secret a new value (see store.UpdateSecret); one that does not exist is a 404.
func (s secrets) update(c echo.Context, name, value string) (secretJSON, map[string]string, error) {
	out, problems, err := s.st.UpdateSecret(c.Request().Context(), auditActor(c), name, value)
	return secretJSON{Name: out.Name, CreatedAt: out.CreatedAt, UpdatedAt: out.UpdatedAt}, problems, err
}

// remove deletes the secret the path names if no job uses it, and returns the name. In use, it
// returns store.ErrSecretInUse with the jobs that use it; a secret that does not exist is
// pgx.ErrNoRows.
func (s secrets) remove(c echo.Context) (string, []jobRef, error) {
	name, err := secretName(c)
	if err != nil {
		return "", nil, err
	}
	rows, err := s.st.DeleteSecret(c.Request().Context(), auditActor(c), name)
	jobs := make([]jobRef, len(rows))
	for i, r := range rows {
		jobs[i] = jobRef{ID: r.ID, Name: r.Name}
	}
	return name, jobs, err
}

// secretName reads the {name} path parameter; a name no secret can have is a 404.
func secretName(c echo.Context) (string, error) {
	name := c.Param("name")
	if secret.CheckName(name) != "" {
		return "", echo.NewHTTPError(http.StatusNotFound, "Not found: there is no secret with that name.")
	}
	return name, nil
}
