package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
)

// channelInput is a channel as a client sends it: the body of POST /api/channels and PUT
// /api/channels/{id}.
type channelInput struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Config  json.RawMessage `json:"config"`
	Default bool            `json:"default"`
}

// Valid checks the input and returns the channel to store, or the problems by field.
func (in channelInput) Valid() (sqlcgen.ChannelInsertParams, map[string]string) {
	problems := map[string]string{}
	spec := sqlcgen.ChannelInsertParams{Name: strings.TrimSpace(in.Name), Type: strings.TrimSpace(in.Type), IsDefault: in.Default}
	switch {
	case spec.Name == "":
		problems["name"] = "is required"
	case len([]rune(spec.Name)) > 100:
		problems["name"] = "must be at most 100 characters"
	case strings.ContainsRune(spec.Name, 0):
		problems["name"] = "must not contain NUL characters"
	}
	if spec.Type == "" {
		problems["type"] = "is required: one of " + strings.Join(notify.Names(), ", ")
		return spec, problems
	}
	config, configProblems := notify.Validate(spec.Type, in.Config)
	for k, v := range configProblems {
		problems[k] = v
	}
	spec.Config = config
	return spec, problems
}

// channelJSON is a channel as the API shows it.
type channelJSON struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Config    json.RawMessage `json:"config"`
	Default   bool            `json:"default"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Signing is a webhook channel's Standard Webhooks secrets, shown to an editor by a single
	// channel's GET and by its creation.
	Signing *signingJSON `json:"signing,omitempty"`
}

func toChannelJSON(c sqlcgen.Channel) channelJSON {
	return channelJSON{ID: c.ID, Name: c.Name, Type: c.Type, Config: c.Config, Default: c.IsDefault,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// invalidChannel answers 422 with a channel's problems by field.
func invalidChannel(c echo.Context, problems map[string]string) error {
	return c.JSON(http.StatusUnprocessableEntity, apiError{Error: "The channel is not valid; see fields.", Fields: problems})
}

// readChannel decodes and checks a channel body.
func readChannel(c echo.Context) (sqlcgen.ChannelInsertParams, map[string]string, error) {
	var in channelInput
	decodeProblems, err := decodeJSON(c, &in)
	if err != nil {
		return sqlcgen.ChannelInsertParams{}, nil, err
	}
	spec, problems := in.Valid()
	for k, v := range decodeProblems {
		problems[k] = v
	}
	return spec, problems, nil
}

// handleAPIChannelCreate serves POST /api/channels: 201 with the channel.
func handleAPIChannelCreate(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		spec, problems, err := readChannel(c)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalidChannel(c, problems)
		}
		ch, err := st.CreateChannel(c.Request().Context(), auditActor(c), spec)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/channels/"+itoa64(ch.ID))
		out := toChannelJSON(ch)
		if signingShown(c, ch) {
			signing := toChannelSigningJSON(st, ch)
			out.Signing = &signing
		}
		return c.JSON(http.StatusCreated, out)
	}
}

// handleAPIChannelList serves GET /api/channels, every channel by name, secrets masked.
func handleAPIChannelList(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		channels, err := q.ChannelList(c.Request().Context(), store.MaxChannels)
		if err != nil {
			return fmt.Errorf("list channels: %w", err)
		}
		return listJSON(c, "channels", channels, func(ch sqlcgen.Channel) channelJSON {
			out := toChannelJSON(ch)
			out.Config = notify.Mask(ch.Type, ch.Config)
			return out
		})
	}
}

// handleAPIChannelGet serves GET /api/channels/{id}, the channel whole for an editor.
func handleAPIChannelGet(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		ch, err := pathChannel(c, q)
		if err != nil {
			return err
		}
		out := toChannelJSON(ch)
		// Whole settings are for editing; a viewer sees them masked, as in the list.
		if !currentPrincipal(c).Role.AtLeast(roleEditor) {
			out.Config = notify.Mask(ch.Type, ch.Config)
		}
		if signingShown(c, ch) {
			signing := toChannelSigningJSON(st, ch)
			out.Signing = &signing
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleAPIChannelUpdate serves PUT /api/channels/{id}, which takes the same body as create.
func handleAPIChannelUpdate(q *sqlcgen.Queries, st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := q.ChannelGet(c.Request().Context(), id); err != nil {
			return err
		}
		spec, problems, err := readChannel(c)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalidChannel(c, problems)
		}
		ch, err := st.UpdateChannel(c.Request().Context(), auditActor(c), id, spec)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toChannelJSON(ch))
	}
}

// handleAPIChannelDelete serves DELETE /api/channels/{id}: 204; jobs stop alerting it, and its
// deliveries go with it.
func handleAPIChannelDelete(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		_, err = st.DeleteChannel(c.Request().Context(), auditActor(c), id)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "Not found: there is no channel with that id.")
		}
		if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// handleAPIChannelTest serves POST /api/channels/{id}/test: it sends a test notice now and answers
// 200 with the delivery, whose status is sent or failed (with the error).
func handleAPIChannelTest(q *sqlcgen.Queries, tester ChannelTester) echo.HandlerFunc {
	return func(c echo.Context) error {
		n, err := sendTest(c, q, tester)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"id": n.ID, "channel_id": n.ChannelID, "event": n.Event,
			"status": n.Status, "output": n.Output, "error": n.Error})
	}
}

// sendTest sends the channel named in the path a test notice.
func sendTest(c echo.Context, q *sqlcgen.Queries, tester ChannelTester) (sqlcgen.Notice, error) {
	ch, err := pathChannel(c, q)
	if err != nil {
		return sqlcgen.Notice{}, err
	}
	if tester == nil {
		return sqlcgen.Notice{}, echo.NewHTTPError(http.StatusServiceUnavailable, "Test notices cannot be sent from this server.")
	}
	return tester.SendTest(c.Request().Context(), ch)
}
