package worker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// result is what one attempt of a claimed run came to, waiting to be recorded.
type result struct {
	claim  sqlcgen.RunClaimRow
	status runstatus.Status
	output string
	err    string
	// retryIn is the delay before the next attempt of a failed run.
	retryIn time.Duration
	// exchange is what the attempt sent and got back, as JSON (task.Exchange), or "".
	exchange string
	// ended is when the attempt ended: the run completed then, however long its result waits for
	// a batch or for the database.
	ended time.Time
}

// settled is the result as the alert step takes it, for a run that has come to a status nothing
// follows; a failed attempt that will be retried is not settled.
func (res result) settled() (Settled, bool) {
	return Settled{JobID: res.claim.JobID, RunID: res.claim.ID, JobName: res.claim.Name, Status: res.status,
		Error: res.err, ScheduledAt: res.claim.ScheduledAt}, res.status.Settled()
}

// recordBatch records the results of all consumers that were handed over together (batcher.go),
// in one statement, and, with an alerter, takes the settled runs through the alert step in the
// same transaction: one round trip for the results and one commit for the batch. Each result's
// answer is whether it was recorded (false when its claim had expired). When the batch fails for a
// reason that will not go away by itself, one result in it may be the cause: then each is
// recorded on its own, so that only that one fails. A transient failure fails them all, and their
// callers try again (retryDB), which puts them in a later batch.
func (r *Runner) recordBatch(results []result) []batchResult[bool] {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	out := make([]batchResult[bool], len(results))
	recorded, err := r.record(ctx, results)
	switch {
	case err != nil && len(results) > 1 && !transient(err):
		for i := range results {
			out[i] = r.recordBatch(results[i : i+1])[0]
		}
	case err != nil:
		for i := range out {
			out[i].err = fmt.Errorf("record %d results: %w", len(results), err)
		}
	default:
		for i, res := range results {
			out[i].val = recorded[res.claim.ID]
		}
	}
	return out
}

// record writes results and reports which runs were recorded. The rows are handed over in the
// order of their job and run, so that batches lock what they share in the same order.
func (r *Runner) record(ctx context.Context, results []result) (map[int64]bool, error) {
	results = slices.Clone(results)
	slices.SortFunc(results, func(x, y result) int {
		return cmp.Or(cmp.Compare(x.claim.JobID, y.claim.JobID), cmp.Compare(x.claim.ID, y.claim.ID))
	})
	var p sqlcgen.RunRecordResultsParams
	var settled []Settled
	for _, res := range results {
		p.Ids, p.Attempts = append(p.Ids, res.claim.ID), append(p.Attempts, res.claim.Attempts)
		p.Statuses, p.Outputs = append(p.Statuses, string(res.status)), append(p.Outputs, res.output)
		p.Errors, p.RetryDelaysMs = append(p.Errors, res.err), append(p.RetryDelaysMs, res.retryIn.Milliseconds())
		p.Exchanges, p.EndedAts = append(p.Exchanges, res.exchange), append(p.EndedAts, res.ended)
		if s, ok := res.settled(); ok {
			settled = append(settled, s)
		}
	}
	write := func(ctx context.Context, q *sqlcgen.Queries) (map[int64]bool, error) {
		ids, err := q.RunRecordResults(ctx, p)
		recorded := make(map[int64]bool, len(ids))
		for _, id := range ids {
			recorded[id] = true
		}
		return recorded, err
	}
	if r.Alerts == nil {
		return write(ctx, r.q)
	}
	return r.Alerts.Record(ctx, write, settled)
}
