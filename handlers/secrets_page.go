package handlers

import (
	"github.com/cronflow/cronflow/queries/store"

	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/secret"
)

// handleSecretsPage serves GET /secrets, the secrets and the form to add one.
func handleSecretsPage(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		return renderSecrets(c, s, http.StatusOK, views.SecretsView{})
	}
}

// renderSecrets shows the secrets page with v's form state and refusal.
func renderSecrets(c echo.Context, s secrets, status int, v views.SecretsView) error {
	rows, err := s.q.SecretList(c.Request().Context())
	if err != nil {
		return err
	}
	now := time.Now()
	v.Enabled = s.st.SecretsOn()
	for _, r := range rows {
		v.Rows = append(v.Rows, views.SecretRow{
			Name: r.Name, Jobs: r.Jobs,
			Created: views.NewMoment(&r.CreatedAt, now, time.UTC), Updated: views.NewMoment(&r.UpdatedAt, now, time.UTC),
		})
	}
	return render(c, status, views.SecretsPage(newPage(c, "Secrets", "secrets"), v))
}

// handleSecretCreate serves POST /secrets, the add form. Problems send the page back with 422 and
// the name as typed (never the value).
func handleSecretCreate(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		name := strings.TrimSpace(form.Get("name"))
		_, problems, err := s.create(c, name, form.Get("value"))
		if err != nil || len(problems) > 0 {
			return secretPageRefused(c, s, views.SecretsView{Name: name, Errors: problems}, name, err)
		}
		return redirectAfter(c, "/secrets", "Added the secret "+name+".")
	}
}

// handleSecretUpdate serves POST /secrets/{name}, a new value for a secret.
func handleSecretUpdate(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, err := secretName(c)
		if err != nil {
			return err
		}
		form, err := readForm(c)
		if err != nil {
			return err
		}
		_, problems, err := s.update(c, name, form.Get("value"))
		if problems["value"] != "" {
			return renderSecrets(c, s, http.StatusUnprocessableEntity, views.SecretsView{Refused: "The new value of " + name + " " + problems["value"] + "."})
		}
		if err != nil {
			return secretPageRefused(c, s, views.SecretsView{}, name, err)
		}
		return redirectAfter(c, "/secrets", "Changed the value of "+name+".")
	}
}

// handleSecretDelete serves POST /secrets/{name}/delete. A secret in use is kept, and the page lists
// the jobs that use it.
func handleSecretDelete(s secrets) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, jobs, err := s.remove(c)
		if errors.Is(err, store.ErrSecretInUse) {
			v := views.SecretsView{Refused: name + " was not deleted: these jobs use it. Change them first."}
			for _, j := range jobs {
				v.InUse = append(v.InUse, views.JobLink{ID: j.ID, Name: j.Name})
			}
			return renderSecrets(c, s, http.StatusConflict, v)
		}
		if err != nil {
			return err
		}
		return redirectAfter(c, "/secrets", "Deleted the secret "+name+".")
	}
}

// secretPageRefused shows the page again for a refused change: 422 for problems, 409 when secrets
// are off or the name is taken.
func secretPageRefused(c echo.Context, s secrets, v views.SecretsView, name string, err error) error {
	switch {
	case len(v.Errors) > 0:
		return renderSecrets(c, s, http.StatusUnprocessableEntity, v)
	case errors.Is(err, secret.ErrNoKey):
		v.Refused = "Secrets are off: " + err.Error() + "."
		return renderSecrets(c, s, http.StatusConflict, v)
	case errors.Is(err, store.ErrSecretExists):
		v.Refused = "A secret named " + name + " exists; give it a new value in its row below."
		return renderSecrets(c, s, http.StatusConflict, v)
	}
	return err
}
