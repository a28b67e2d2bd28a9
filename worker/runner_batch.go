package worker

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// claimBatch claims the runs msgs name in one statement. A run claimed twice in the batch (its
// message was delivered twice) goes to the first request only; the others get pgx.ErrNoRows, as
// does a run that could not be claimed.
//
// Most jobs' overlap is allow, and their runs need no overlap decision: those are claimed first,
// by a statement that claims only runs of such jobs (allow_only), so that the batch costs one
// round trip. What it left (runs of jobs with another policy, or of jobs known to have one, and
// runs that could not be claimed at all) goes through the decision (runner_overlap.go) and is
// claimed after it, as before.
func (r *Runner) claimBatch(msgs []runmsg.Message) []batchResult[sqlcgen.RunClaimRow] {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	out := make([]batchResult[sqlcgen.RunClaimRow], len(msgs))
	var fast, decide []int64
	for _, m := range msgs {
		if r.overlaps.has(m.JobID) {
			decide = append(decide, m.RunID)
		} else {
			fast = append(fast, m.RunID)
		}
	}
	claimed := make(map[int64]sqlcgen.RunClaimRow, len(msgs))
	rows, err := r.claimRuns(ctx, fast, true)
	for _, row := range rows {
		claimed[row.ID] = row
	}
	for _, id := range fast {
		if _, ok := claimed[id]; !ok {
			decide = append(decide, id)
		}
	}
	if err == nil && len(decide) > 0 {
		if err = r.decideOverlap(ctx, decide); err == nil {
			rows, err = r.claimRuns(ctx, decide, false)
			for _, row := range rows {
				claimed[row.ID] = row
				r.overlaps.learn(row.JobID, row.Overlap)
			}
		}
	}
	if err != nil {
		// The runs claimed by a statement that committed are this process's: they are handed
		// over; the others get the error and are tried again.
		err = fmt.Errorf("claim %d runs: %w", len(msgs), err)
	}
	for i, m := range msgs {
		row, ok := claimed[m.RunID]
		switch {
		case ok:
			out[i].val = row
			delete(claimed, m.RunID)
		case err != nil:
			out[i].err = err
		default:
			out[i].err = pgx.ErrNoRows
		}
	}
	return out
}

// claimRuns claims the runs ids in one statement; with allowOnly, only those of jobs whose overlap
// is allow.
func (r *Runner) claimRuns(ctx context.Context, ids []int64, allowOnly bool) ([]sqlcgen.RunClaimRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return r.q.RunClaim(ctx, sqlcgen.RunClaimParams{Ids: ids, LeaseMarginMs: leaseMargin.Milliseconds(), AllowOnly: allowOnly})
}

// overlapJobs is the set of jobs whose overlap policy was last seen not to be allow, learned from
// the claims: their runs go straight to the overlap decision. It only saves a round trip: a job
// whose policy changed is claimed right either way, since the allow_only claim checks the policy
// in the statement that claims.
type overlapJobs struct {
	mu   sync.Mutex
	jobs map[int64]bool
}

// overlapJobsMax bounds the set; past it, it starts again empty.
const overlapJobsMax = 100_000

// has reports whether job was last seen with an overlap other than allow.
func (o *overlapJobs) has(job int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.jobs[job]
}

// learn notes job's overlap policy as a claim read it.
func (o *overlapJobs) learn(job int64, overlap string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if overlap == overlapAllow {
		delete(o.jobs, job)
		return
	}
	if o.jobs == nil || len(o.jobs) >= overlapJobsMax {
		o.jobs = map[int64]bool{}
	}
	o.jobs[job] = true
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
