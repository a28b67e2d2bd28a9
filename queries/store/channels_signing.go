package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// MaxSigningOverlap bounds how long a rotated-out signing secret stays valid.
const MaxSigningOverlap = 30 * 24 * time.Hour

// RotateChannelSigningSecret gives a channel a new signing secret. For overlap, the secret it
// replaces stays valid: each signed notice carries a signature by each, so that receivers can
// change the secret they verify with in their own time. The secrets are not recorded in the log.
// A channel that does not exist is pgx.ErrNoRows.
func (s *Store) RotateChannelSigningSecret(ctx context.Context, actor string, id int64, overlap time.Duration) (sqlcgen.Channel, error) {
	var ch sqlcgen.Channel
	next, err := s.newSigningSecret()
	if err != nil {
		return ch, err
	}
	_, err = lockedChange(ctx, s, actor, id, (*sqlcgen.Queries).ChannelGetForUpdate, func(q *sqlcgen.Queries, old sqlcgen.Channel) ([]Entry, error) {
		var err error
		ch, err = q.ChannelRotateSigningSecret(ctx, sqlcgen.ChannelRotateSigningSecretParams{ID: id,
			SigningSecret: next, OverlapMs: overlap.Milliseconds()})
		if err != nil {
			return nil, fmt.Errorf("rotate signing secret of channel %d: %w", id, err)
		}
		return []Entry{{Action: "channel.rotate_signing_secret", Subject: old.Name}}, nil
	})
	return ch, err
}
