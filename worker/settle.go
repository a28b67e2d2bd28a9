package worker

import (
	"context"
	"fmt"
	"slices"

	"github.com/cronflow/cronflow/sqlcgen"
)

// settleReq is one settled run waiting to be recorded: record stores its result and reports
// whether it did (false when the claim had expired).
type settleReq struct {
	s      Settled
	record func(ctx context.Context, q *sqlcgen.Queries) (bool, error)
}

// Settle records a settled run and takes it through the alert step, in one transaction, then
// publishes the notices it made; with nothing recorded, nothing else is. The settled runs of all
// consumers are written together (batcher.go): one transaction and one commit for the batch, so
// the caller's ctx does not bound it; the batch has recordTimeout of its own. Settle returns once
// the batch has committed, or with the error that kept it from committing, in which case nothing
// of this run was stored.
func (a *Alerter) Settle(_ context.Context, s Settled, record func(ctx context.Context, q *sqlcgen.Queries) (bool, error)) (bool, error) {
	return a.settles.do(settleReq{s: s, record: record})
}

// settleBatch writes a batch of settled runs in one transaction. When the transaction fails for a
// reason that will not go away by itself, one run in it may be the cause: then each is written on
// its own, so that only that run fails. A transient failure fails them all, and their callers
// try again (retryDB), which puts them in a later batch.
func (a *Alerter) settleBatch(reqs []settleReq) []batchResult[bool] {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	out := make([]batchResult[bool], len(reqs))
	notices, err := a.settleTx(ctx, reqs, out)
	switch {
	case err != nil && len(reqs) > 1 && !transient(err):
		for i := range reqs {
			out[i] = a.settleBatch(reqs[i : i+1])[0]
		}
		return out
	case err != nil:
		for i := range out {
			out[i] = batchResult[bool]{err: err}
		}
		return out
	}
	if len(notices) > 0 {
		a.logger.Info("Alert notices made", "runs", len(reqs), "notices", len(notices))
		a.pub.PublishNotices(ctx, notices)
	}
	return out
}

// settleTx records reqs and their alert steps in one transaction, setting whether each was
// recorded in out, and returns the notices made. The runs are written in the order of their job
// and id, so that two batches touching the same jobs lock their rows in the same order and cannot
// deadlock each other.
func (a *Alerter) settleTx(ctx context.Context, reqs []settleReq, out []batchResult[bool]) ([]int64, error) {
	order := make([]int, len(reqs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return settledOrder(reqs[x].s, reqs[y].s) })
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	qtx := a.q.WithTx(tx)
	settled := make([]Settled, 0, len(reqs))
	for _, i := range order {
		recorded, err := reqs[i].record(ctx, qtx)
		if err != nil {
			return nil, fmt.Errorf("record run %d: %w", reqs[i].s.RunID, err)
		}
		out[i].val = recorded
		if recorded {
			settled = append(settled, reqs[i].s)
		}
	}
	notices, err := a.Step(ctx, qtx, settled...)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit %d settled runs: %w", len(reqs), err)
	}
	return notices, nil
}
