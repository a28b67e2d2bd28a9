package worker

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cronflow/cronflow/sqlcgen"
)

// decideCounter counts the overlap decisions sent to the database.
type decideCounter struct{ n atomic.Int64 }

func (c *decideCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.HasPrefix(d.SQL, "-- name: RunOverlapDecide ") {
		c.n.Add(1)
	}
	return ctx
}

func (c *decideCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestRunsOfAllowJobsAreClaimedWithoutTheOverlapDecision(t *testing.T) {
	t.Parallel()
	h := setup(t, 4)
	h.stopConsumer()
	cfg, err := pgxpool.ParseConfig(h.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	decisions := &decideCounter{}
	cfg.ConnConfig.Tracer = decisions
	traced, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(traced.Close)
	h.q = sqlcgen.New(traced)
	h.startConsumer(4)
	tg := newRecordingTarget(t, nil)

	allow := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	for range 10 {
		h.waitStatus(h.runNow(allow.ID).ID, "completed", 10*time.Second)
	}
	if n := decisions.n.Load(); n != 0 {
		t.Errorf("%d overlap decisions for runs of a job whose overlap is allow, want none", n)
	}

	// A job whose policy changes is decided by its new policy from its next claim on.
	skip := h.insertJob(jobOpts{payload: map[string]string{"url": tg.URL}})
	h.waitStatus(h.runNow(skip.ID).ID, "completed", 10*time.Second)
	skip = h.setJob(skip, func(p *sqlcgen.JobUpdateParams) { p.Overlap = "skip" })
	h.waitStatus(h.runNow(skip.ID).ID, "completed", 10*time.Second)
	if decisions.n.Load() == 0 {
		t.Error("no overlap decision for a run of a job whose overlap is skip")
	}
}
