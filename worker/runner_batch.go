package worker

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
)

// claimBatch claims the runs ids in one statement. A run claimed twice in the batch (its message
// was delivered twice) goes to the first request only; the others get pgx.ErrNoRows, as does a
// run that could not be claimed.
func (r *Runner) claimBatch(ids []int64) []batchResult[sqlcgen.RunClaimRow] {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	out := make([]batchResult[sqlcgen.RunClaimRow], len(ids))
	err := r.decideOverlap(ctx, ids)
	var rows []sqlcgen.RunClaimRow
	if err == nil {
		rows, err = r.q.RunClaim(ctx, sqlcgen.RunClaimParams{Ids: ids, LeaseMarginMs: leaseMargin.Milliseconds()})
	}
	if err != nil {
		for i := range out {
			out[i].err = fmt.Errorf("claim %d runs: %w", len(ids), err)
		}
		return out
	}
	claimed := make(map[int64]sqlcgen.RunClaimRow, len(rows))
	for _, row := range rows {
		claimed[row.ID] = row
	}
	for i, id := range ids {
		row, ok := claimed[id]
		if !ok {
			out[i].err = pgx.ErrNoRows
			continue
		}
		out[i].val = row
		delete(claimed, id)
	}
	return out
}

// markBatch records that the broker took the retries of runs ids, in one statement.
func (r *Runner) markBatch(ids []int64) []batchResult[struct{}] {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	out := make([]batchResult[struct{}], len(ids))
	if err := r.q.RunMarkPublished(ctx, ids); err != nil {
		for i := range out {
			out[i].err = fmt.Errorf("mark %d runs published: %w", len(ids), err)
		}
	}
	return out
}
