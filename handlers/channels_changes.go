package handlers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
)

// The changes to notification channels that the API and the dashboard share, each made in one
// transaction with its audit entry. A channel's settings may hold secrets (a Slack webhook's
// path): a changed setting shows in the log masked, as the channel list shows it.

// configPrefix starts the names of a channel's settings in the audit log's changes.
const configPrefix = "config."

// insertChannel stores a new channel.
func insertChannel(c echo.Context, db TxStarter, spec sqlcgen.ChannelInsertParams) (sqlcgen.Channel, error) {
	var ch sqlcgen.Channel
	err := audited(c, db, func(q *sqlcgen.Queries) ([]auditEntry, error) {
		var err error
		if ch, err = q.ChannelInsert(c.Request().Context(), spec); err != nil {
			return nil, fmt.Errorf("store channel: %w", err)
		}
		return []auditEntry{channelEntry("channel.create", nil, &ch)}, nil
	})
	return ch, err
}

// updateChannel replaces a channel's settings. A channel that does not exist is pgx.ErrNoRows.
func updateChannel(c echo.Context, db TxStarter, id int64, spec sqlcgen.ChannelInsertParams) (sqlcgen.Channel, error) {
	var ch sqlcgen.Channel
	_, err := lockedChange(c, db, id, (*sqlcgen.Queries).ChannelGetForUpdate, func(ctx context.Context, q *sqlcgen.Queries, old sqlcgen.Channel) ([]auditEntry, error) {
		var err error
		if ch, err = q.ChannelUpdate(ctx, channelUpdate(id, spec)); err != nil {
			return nil, fmt.Errorf("update channel %d: %w", id, err)
		}
		return ifChanged(channelEntry("channel.update", &old, &ch)), nil
	})
	return ch, err
}

// deleteChannel deletes a channel, takes it out of every job's alerts, and answers it as it was. A
// channel that does not exist is pgx.ErrNoRows.
func deleteChannel(c echo.Context, db TxStarter, id int64) (sqlcgen.Channel, error) {
	return lockedChange(c, db, id, (*sqlcgen.Queries).ChannelGetForUpdate, func(ctx context.Context, q *sqlcgen.Queries, old sqlcgen.Channel) ([]auditEntry, error) {
		if _, err := q.ChannelDelete(ctx, id); err != nil {
			return nil, fmt.Errorf("delete channel %d: %w", id, err)
		}
		return []auditEntry{channelEntry("channel.delete", &old, nil)}, nil
	})
}

// channelEntry is the audit entry of a change to a channel, from before to after (nil when it did
// not exist, or no longer does).
func channelEntry(action string, before, after *sqlcgen.Channel) auditEntry {
	changes := maskedChanges(channelFields(before, false), channelFields(after, false), configPrefix,
		func() (from, to map[string]json.RawMessage) {
			return channelFields(before, true), channelFields(after, true)
		})
	ch := after
	if ch == nil {
		ch = before
	}
	return auditEntry{Action: action, Subject: ch.Name, Changes: changes}
}

// channelFields is a channel as the audit log compares it, its settings field by field
// ("config.url"), masked or as stored. A nil channel has none.
func channelFields(ch *sqlcgen.Channel, masked bool) map[string]json.RawMessage {
	if ch == nil {
		return map[string]json.RawMessage{}
	}
	config := ch.Config
	if masked {
		config = notify.Mask(ch.Type, ch.Config)
	}
	fields := subFields("config", config)
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	fields["name"], _ = json.Marshal(ch.Name)
	fields["type"], _ = json.Marshal(ch.Type)
	fields["default"], _ = json.Marshal(ch.IsDefault)
	return fields
}
