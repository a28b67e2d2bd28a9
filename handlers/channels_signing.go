package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// defaultSigningOverlap is how long a rotated-out signing secret stays valid unless the request
// says otherwise: a day for receivers to change the secret they verify with.
const defaultSigningOverlap = 24 * time.Hour

// signingJSON is a job's or a webhook channel's signing secrets as the API shows them to an
// editor, opened when they are stored sealed.
type signingJSON struct {
	ID                    int64      `json:"id"`
	SigningSecret         string     `json:"signing_secret"`
	PreviousSigningSecret string     `json:"previous_signing_secret,omitempty"`
	PreviousSecretUntil   *time.Time `json:"previous_secret_until,omitempty"`
}

// toSigningJSON shows stored signing secrets; a previous secret only while it is valid.
func toSigningJSON(st *store.Store, id int64, stored string, previous *string, until *time.Time) signingJSON {
	out := signingJSON{ID: id, SigningSecret: shownSigning(st, stored)}
	if previous != nil && until != nil && until.After(time.Now()) {
		out.PreviousSigningSecret, out.PreviousSecretUntil = shownSigning(st, *previous), until
	}
	return out
}

// toChannelSigningJSON shows a channel's secrets; a previous secret only while it is valid.
func toChannelSigningJSON(st *store.Store, ch sqlcgen.Channel) signingJSON {
	return toSigningJSON(st, ch.ID, ch.SigningSecret, ch.PreviousSigningSecret, ch.PreviousSecretUntil)
}

// readOverlap reads a rotation's body, {"overlap": "24h"}: how long the secret it replaces stays
// valid, defaultSigningOverlap if the body gives none. A body that is not valid has been answered
// 422 (answered is true).
func readOverlap(c echo.Context) (overlap time.Duration, answered bool, err error) {
	var in struct {
		Overlap string `json:"overlap"`
	}
	if c.Request().ContentLength != 0 {
		problems, err := decodeJSON(c, &in)
		if err != nil {
			return 0, true, err
		}
		if len(problems) > 0 {
			return 0, true, c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The rotation is not valid; see fields.", Fields: problems})
		}
	}
	overlap, problem := parseOverlap(in.Overlap)
	if problem != "" {
		return 0, true, c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The rotation is not valid; see fields.",
			Fields: map[string]string{"overlap": problem}})
	}
	return overlap, false, nil
}

// parseOverlap reads a rotation's overlap, "" for the default, or says what is wrong with it.
func parseOverlap(s string) (time.Duration, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return defaultSigningOverlap, ""
	}
	overlap, err := time.ParseDuration(s)
	if err != nil || overlap < 0 || overlap > store.MaxSigningOverlap {
		return 0, "must be a duration from 0s to 720h, such as 24h"
	}
	return overlap, ""
}

// handleAPIChannelRotateSecret serves POST /api/channels/{id}/signing-secret/rotate: the channel
// gets a new signing secret, and the one it had stays valid for the body's "overlap" (a duration
// such as "24h", the default; "0s" ends it at once; at most 720h). It answers 200 with both.
func handleAPIChannelRotateSecret(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		overlap, answered, err := readOverlap(c)
		if answered {
			return err
		}
		ch, err := st.RotateChannelSigningSecret(c.Request().Context(), auditActor(c), id, overlap)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no channel with that id.")
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toChannelSigningJSON(st, ch))
	}
}

// signingShown reports whether a channel's answer shows its signing secrets: a webhook channel's,
// to an editor.
func signingShown(c echo.Context, ch sqlcgen.Channel) bool {
	return ch.Type == task.WebhookName && currentPrincipal(c).Role.AtLeast(roleEditor)
}
