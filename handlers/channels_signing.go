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

// channelSigningJSON is a webhook channel's signing secrets as the API shows them to an editor.
type channelSigningJSON struct {
	ID                    int64      `json:"id"`
	SigningSecret         string     `json:"signing_secret"`
	PreviousSigningSecret string     `json:"previous_signing_secret,omitempty"`
	PreviousSecretUntil   *time.Time `json:"previous_secret_until,omitempty"`
}

// toChannelSigningJSON shows a channel's secrets; a previous secret only while it is valid.
func toChannelSigningJSON(ch sqlcgen.Channel) channelSigningJSON {
	out := channelSigningJSON{ID: ch.ID, SigningSecret: ch.SigningSecret}
	if ch.PreviousSigningSecret != nil && ch.PreviousSecretUntil != nil && ch.PreviousSecretUntil.After(time.Now()) {
		out.PreviousSigningSecret, out.PreviousSecretUntil = *ch.PreviousSigningSecret, ch.PreviousSecretUntil
	}
	return out
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
		var in struct {
			Overlap string `json:"overlap"`
		}
		if c.Request().ContentLength != 0 {
			problems, err := decodeJSON(c, &in)
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The rotation is not valid; see fields.", Fields: problems})
			}
		}
		overlap := defaultSigningOverlap
		if s := strings.TrimSpace(in.Overlap); s != "" {
			overlap, err = time.ParseDuration(s)
			if err != nil || overlap < 0 || overlap > store.MaxSigningOverlap {
				return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The rotation is not valid; see fields.",
					Fields: map[string]string{"overlap": "must be a duration from 0s to 720h, such as 24h"}})
			}
		}
		ch, err := st.RotateChannelSigningSecret(c.Request().Context(), auditActor(c), id, overlap)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no channel with that id.")
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toChannelSigningJSON(ch))
	}
}

// signingShown reports whether a channel's answer shows its signing secrets: a webhook channel's,
// to an editor.
func signingShown(c echo.Context, ch sqlcgen.Channel) bool {
	return ch.Type == task.WebhookName && currentPrincipal(c).Role.AtLeast(roleEditor)
}
