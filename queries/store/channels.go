package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
)

// The changes to notification channels that the API and the dashboard share, each made in one
// transaction with its audit entry. A channel's settings may hold secrets (a Slack webhook's
// path): a changed setting shows in the log masked, as the channel list shows it.

// configPrefix starts the names of a channel's settings in the audit log's changes.
const configPrefix = "config."

// CreateChannel stores a new channel.
func (s *Store) CreateChannel(ctx context.Context, actor string, spec sqlcgen.ChannelInsertParams) (sqlcgen.Channel, error) {
	var ch sqlcgen.Channel
	signing, err := s.newSigningSecret()
	if err != nil {
		return ch, err
	}
	err = s.write(ctx, actor, func(q *sqlcgen.Queries) ([]Entry, error) {
		var err error
		if ch, err = q.ChannelInsert(ctx, spec); err != nil {
			return nil, fmt.Errorf("store channel: %w", err)
		}
		if s.keys != nil { // a sealed secret in place of the column default's plain one
			if ch, err = q.ChannelSetSigningSecret(ctx, sqlcgen.ChannelSetSigningSecretParams{ID: ch.ID, SigningSecret: signing}); err != nil {
				return nil, fmt.Errorf("seal signing secret of channel %d: %w", ch.ID, err)
			}
		}
		return []Entry{channelEntry("channel.create", nil, &ch)}, nil
	})
	return ch, err
}

// UpdateChannel replaces a channel's settings. A channel that does not exist is pgx.ErrNoRows.
func (s *Store) UpdateChannel(ctx context.Context, actor string, id int64, spec sqlcgen.ChannelInsertParams) (sqlcgen.Channel, error) {
	var ch sqlcgen.Channel
	_, err := lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).ChannelGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Channel) ([]Entry, error) {
		var err error
		if ch, err = q.ChannelUpdate(ctx, channelUpdate(id, spec)); err != nil {
			return nil, fmt.Errorf("update channel %d: %w", id, err)
		}
		return ifChanged(channelEntry("channel.update", &old, &ch)), nil
	})
	return ch, err
}

// DeleteChannel deletes a channel, takes it out of every job's alerts, and answers it as it was. A
// channel that does not exist is pgx.ErrNoRows.
func (s *Store) DeleteChannel(ctx context.Context, actor string, id int64) (sqlcgen.Channel, error) {
	return lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).ChannelGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Channel) ([]Entry, error) {
		if _, err := q.ChannelDelete(ctx, id); err != nil {
			return nil, fmt.Errorf("delete channel %d: %w", id, err)
		}
		return []Entry{channelEntry("channel.delete", &old, nil)}, nil
	})
}

// channelEntry is the audit entry of a change to a channel, from before to after (nil when it did
// not exist, or no longer does).
func channelEntry(action string, before, after *sqlcgen.Channel) Entry {
	changes := maskedChanges(channelFields(before, false), channelFields(after, false), configPrefix,
		func() (from, to map[string]json.RawMessage) {
			return channelFields(before, true), channelFields(after, true)
		})
	ch := after
	if ch == nil {
		ch = before
	}
	return Entry{Action: action, Subject: ch.Name, Changes: changes}
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

// channelUpdate is a checked channel as the update query takes it.
func channelUpdate(id int64, s sqlcgen.ChannelInsertParams) sqlcgen.ChannelUpdateParams {
	return sqlcgen.ChannelUpdateParams{ID: id, Name: s.Name, Type: s.Type, Config: s.Config, IsDefault: s.IsDefault}
}
