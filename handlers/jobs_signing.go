package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

// Signing secrets (issues 20 and 22): stored sealed when there is a key, opened here for the
// editors who see them, and a job's rotated by the API and from its page.

// unopenedSigning stands in for a signing secret sealed with a key that is no longer configured:
// the rest of the job or channel is still worth showing.
const unopenedSigning = "(sealed with a key that is neither CRONFLOW_SECRET_KEY nor CRONFLOW_SECRET_KEY_PREVIOUS)"

// shownSigning is a stored signing secret as an editor sees it: opened when it is sealed.
func shownSigning(st *store.Store, stored string) string {
	if stored == "" {
		return ""
	}
	v, err := st.OpenSigningSecret(stored)
	if err != nil {
		return unopenedSigning
	}
	return v
}

// showSigning opens a job's signing secrets in place, for an answer or a page that shows them.
func showSigning(st *store.Store, j *sqlcgen.Job) {
	if j.SigningSecret != nil {
		v := shownSigning(st, *j.SigningSecret)
		j.SigningSecret = &v
	}
	if j.PreviousSigningSecret != nil {
		v := shownSigning(st, *j.PreviousSigningSecret)
		j.PreviousSigningSecret = &v
	}
}

// rotateJobSecret rotates the path's job's signing secret; an unknown job is a 404 and one that
// signs nothing a 409, both saying so.
func rotateJobSecret(c echo.Context, st *store.Store, overlap time.Duration) (sqlcgen.Job, error) {
	id, err := pathID(c)
	if err != nil {
		return sqlcgen.Job{}, err
	}
	job, err := st.RotateJobSigningSecret(c.Request().Context(), auditActor(c), id, overlap)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return job, echo.NewHTTPError(http.StatusNotFound, "Not found: there is no job with that id.")
	case errors.Is(err, store.ErrJobNotSigned):
		return job, echo.NewHTTPError(http.StatusConflict, "This job signs nothing: only a webhook job with signing on has a signing secret to rotate.")
	}
	return job, err
}

// handleAPIJobRotateSecret serves POST /api/jobs/{id}/signing-secret/rotate, as the channels' one
// does: the job gets a new signing secret, and the one it had stays valid for the body's "overlap"
// (a duration such as "24h", the default; "0s" ends it at once; at most 720h), its signature sent
// beside the new one's. It answers 200 with both.
func handleAPIJobRotateSecret(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		overlap, answered, err := readOverlap(c)
		if answered {
			return err
		}
		job, err := rotateJobSecret(c, st, overlap)
		if err != nil {
			return err
		}
		stored := "" // a rotated job always has a secret; "" only keeps this safe
		if job.SigningSecret != nil {
			stored = *job.SigningSecret
		}
		return c.JSON(http.StatusOK, toSigningJSON(st, job.ID, stored, job.PreviousSigningSecret, job.PreviousSecretUntil))
	}
}

// handleJobRotateSecret serves POST /jobs/{id}/signing-secret/rotate, the button beside the secret
// on the job's page: the form's "overlap" (24h unless given) as in the API. It goes back to the
// page, which shows both secrets until the overlap ends.
func handleJobRotateSecret(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		overlap, problem := parseOverlap(c.FormValue("overlap"))
		if problem != "" {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "Overlap "+problem+".")
		}
		job, err := rotateJobSecret(c, st, overlap)
		if err != nil {
			return err
		}
		showSigning(st, &job)
		msg := fmt.Sprintf("“%s” has a new signing secret.", job.Name)
		if job.PreviousSecretUntil != nil && job.PreviousSecretUntil.After(time.Now()) {
			msg += " The previous one stays valid until " + job.PreviousSecretUntil.UTC().Format("2006-01-02 15:04") + " UTC."
		}
		return actionDone(c, q, job, msg)
	}
}
