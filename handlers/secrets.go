package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/secret"
)

// maxSecretValue bounds a secret's value: a token or a password, not a file.
const maxSecretValue = 8 << 10

// secrets creates, changes and deletes secrets for the API and the dashboard alike. Values go in
// sealed and never come out: no answer, page or log line holds one.
type secrets struct {
	q    *sqlcgen.Queries
	keys *secret.Keyring
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

// errSecretExists and errSecretInUse are the refusals of create and delete.
var (
	errSecretExists = errors.New("secret exists")
	errSecretInUse  = errors.New("secret in use")
)

// checkValue returns the problems with a secret's value by field.
func checkValue(value string, problems map[string]string) {
	switch {
	case value == "":
		problems["value"] = "is required"
	case len(value) > maxSecretValue:
		problems["value"] = fmt.Sprintf("must be at most %d bytes", maxSecretValue)
	case strings.ContainsRune(value, 0):
		problems["value"] = "must not contain NUL characters"
	}
}

// seal encrypts a value for storing, or returns secret.ErrNoKey when secrets are off.
func (s secrets) seal(name, value string) (string, []byte, error) {
	if s.keys == nil {
		return "", nil, secret.ErrNoKey
	}
	keyID, sealed, err := s.keys.Seal(name, []byte(value))
	if err != nil {
		return "", nil, fmt.Errorf("seal secret %s: %w", name, err)
	}
	return keyID, sealed, nil
}

// sealChecked checks a value, adding to the problems found already, and seals it when there are
// none: the problems, or the key id and sealed value to store.
func (s secrets) sealChecked(name, value string, problems map[string]string) (string, []byte, map[string]string, error) {
	checkValue(value, problems)
	if len(problems) > 0 {
		return "", nil, problems, nil
	}
	keyID, sealed, err := s.seal(name, value)
	return keyID, sealed, nil, err
}

// create stores a new secret, or returns its problems by field, errSecretExists or secret.ErrNoKey.
func (s secrets) create(ctx context.Context, name, value string) (secretJSON, map[string]string, error) {
	problems := map[string]string{}
	if problem := secret.CheckName(name); problem != "" {
		problems["name"] = problem
	}
	keyID, sealed, problems, err := s.sealChecked(name, value, problems)
	if err != nil || len(problems) > 0 {
		return secretJSON{}, problems, err
	}
	row, err := s.q.SecretInsert(ctx, sqlcgen.SecretInsertParams{Name: name, KeyID: keyID, Sealed: sealed})
	if errors.Is(err, pgx.ErrNoRows) {
		return secretJSON{}, nil, errSecretExists
	}
	if err != nil {
		return secretJSON{}, nil, fmt.Errorf("insert secret %s: %w", name, err)
	}
	return secretJSON{Name: row.Name, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}, nil, nil
}

// update gives a secret a new value; a secret that does not exist is pgx.ErrNoRows, a 404.
func (s secrets) update(ctx context.Context, name, value string) (secretJSON, map[string]string, error) {
	keyID, sealed, problems, err := s.sealChecked(name, value, map[string]string{})
	if err != nil || len(problems) > 0 {
		return secretJSON{}, problems, err
	}
	row, err := s.q.SecretUpdate(ctx, sqlcgen.SecretUpdateParams{Name: name, KeyID: keyID, Sealed: sealed})
	if err != nil {
		return secretJSON{}, nil, fmt.Errorf("update secret %s: %w", name, err)
	}
	return secretJSON{Name: row.Name, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}, nil, nil
}

// remove deletes the secret the path names if no job uses it, and returns the name. In use, it
// returns errSecretInUse with the jobs that use it; a secret that does not exist is pgx.ErrNoRows.
func (s secrets) remove(c echo.Context) (string, []jobRef, error) {
	name, err := secretName(c)
	if err != nil {
		return "", nil, err
	}
	ctx := c.Request().Context()
	n, err := s.q.SecretDelete(ctx, name)
	if err != nil || n > 0 {
		return name, nil, err
	}
	rows, err := s.q.SecretJobsUsing(ctx, name)
	if err != nil {
		return name, nil, fmt.Errorf("list jobs using secret %s: %w", name, err)
	}
	if len(rows) == 0 {
		return name, nil, pgx.ErrNoRows
	}
	jobs := make([]jobRef, len(rows))
	for i, r := range rows {
		jobs[i] = jobRef{ID: r.ID, Name: r.Name}
	}
	return name, jobs, errSecretInUse
}

// secretName reads the {name} path parameter; a name no secret can have is a 404.
func secretName(c echo.Context) (string, error) {
	name := c.Param("name")
	if secret.CheckName(name) != "" {
		return "", echo.NewHTTPError(http.StatusNotFound, "Not found: there is no secret with that name.")
	}
	return name, nil
}

// formExtras fills in what the job form offers from the database: the alert channels (see
// withAlerts) and the names of the secrets a job may use.
func formExtras(ctx context.Context, q *sqlcgen.Queries, view views.JobForm, fresh bool) (views.JobForm, error) {
	view, err := withAlerts(ctx, q, view, fresh)
	if err != nil {
		return view, err
	}
	if view.Secrets, err = q.SecretNames(ctx); err != nil {
		return view, fmt.Errorf("list secret names: %w", err)
	}
	return view, nil
}
