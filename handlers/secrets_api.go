package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/secret"
)

// secretInput is the body of POST /api/secrets and PUT /api/secrets/{name}.
type secretInput struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// handleAPISecretList serves GET /api/secrets: every secret's name and dates, never a value.
func handleAPISecretList(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := s.q.SecretList(c.Request().Context())
		if err != nil {
			return err
		}
		return listJSON(c, "secrets", rows, func(r sqlcgen.SecretListRow) secretJSON {
			return secretJSON{Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Jobs: &r.Jobs}
		})
	}
}

// handleAPISecretCreate serves POST /api/secrets: 201 with the secret's name and dates.
func handleAPISecretCreate(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in secretInput
		if ok, err := decodeOrReject(c, &in, "secret"); !ok {
			return err
		}
		out, problems, err := s.create(c, in.Name, in.Value)
		if err != nil || len(problems) > 0 {
			return secretRefused(c, in.Name, problems, err)
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/secrets/"+out.Name)
		return c.JSON(http.StatusCreated, out)
	}
}

// handleAPISecretUpdate serves PUT /api/secrets/{name}, which gives the secret a new value: the
// jobs that use it use the new value from their next attempt on.
func handleAPISecretUpdate(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, err := secretName(c)
		if err != nil {
			return err
		}
		var in secretInput
		if ok, err := decodeOrReject(c, &in, "secret"); !ok {
			return err
		}
		out, problems, err := s.update(c, name, in.Value)
		if err != nil || len(problems) > 0 {
			return secretRefused(c, name, problems, err)
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleAPISecretDelete serves DELETE /api/secrets/{name}: 204, or 409 with the jobs that use it.
func handleAPISecretDelete(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, jobs, err := s.remove(c)
		if errors.Is(err, store.ErrSecretInUse) {
			return c.JSON(http.StatusConflict, struct {
				Error string   `json:"error"`
				Jobs  []jobRef `json:"jobs"`
			}{"The secret " + name + " is used by the jobs listed; change them first.", jobs})
		}
		if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// secretRefused answers a create or change that was refused: 422 with problems, 409 when secrets
// are off or the name is taken; anything else goes to the error handler.
func secretRefused(c echo.Context, name string, problems map[string]string, err error) error {
	switch {
	case len(problems) > 0:
		return invalidInput(c, "secret", problems)
	case errors.Is(err, secret.ErrNoKey):
		return c.JSON(http.StatusConflict, apiError{Error: "Secrets are off: " + err.Error() + "."})
	case errors.Is(err, store.ErrSecretExists):
		return c.JSON(http.StatusConflict, apiError{Error: "A secret named " + name + " exists; change its value with PUT /api/secrets/" + name + "."})
	}
	return err
}
