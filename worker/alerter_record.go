package worker

import (
	"context"
	"fmt"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Record runs write, which records a batch of results and reports which runs it recorded, and
// takes those of the settled runs that were recorded through the alert step, in one transaction;
// once it has committed, it publishes the notices the step made. With nothing recorded, nothing
// else is; with an error, nothing of the batch was stored.
func (a *Alerter) Record(ctx context.Context, write func(ctx context.Context, q *sqlcgen.Queries) (map[int64]bool, error),
	settled []Settled) (map[int64]bool, error) {
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	qtx := a.q.WithTx(tx)
	recorded, err := write(ctx, qtx)
	if err != nil {
		return nil, err
	}
	var step []Settled
	for _, s := range settled {
		if recorded[s.RunID] {
			step = append(step, s)
		}
	}
	notices, err := a.Step(ctx, qtx, step...)
	if err != nil {
		return nil, err
	}
	follow, err := a.followUp(ctx, qtx, step)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit %d results: %w", len(recorded), err)
	}
	if len(notices) > 0 {
		a.logger.Info("Alert notices made", "runs", len(step), "notices", len(notices))
		a.pub.PublishNotices(ctx, notices)
	}
	if len(follow) > 0 && a.runs != nil {
		a.runs.Publish(ctx, follow)
	}
	return recorded, nil
}
