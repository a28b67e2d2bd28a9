package worker

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cronflow/cronflow/queries/store/words"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// TxBeginner starts transactions; a *pgxpool.Pool is one.
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// NoticePublisher publishes stored notices for delivery; the Outbox is one. A notice it could
// not publish stays unpublished, and the reaper publishes it.
type NoticePublisher interface {
	PublishNotices(ctx context.Context, ids []int64)
}

// Alerter is the step every settled run goes through, in the transaction that records it: the run
// is counted in its job's hourly numbers, and its job's alert state moves on. When the job has now
// failed alert_after runs in a row it starts failing, and each of its channels gets one failing
// notice; its next completed run makes it recover, with one recovered notice. Because the step
// commits with the result or not at all, a result recorded twice (it cannot be) or a consumer that
// dies before it commits never makes a notice twice or loses one.
type Alerter struct {
	db     TxBeginner
	q      *sqlcgen.Queries
	pub    NoticePublisher
	logger *slog.Logger
	// runs publishes the runs that settled runs let go or make (alerter_settle.go); nil leaves
	// them to the reaper.
	runs RunPublisher
	// now is the alerter's clock, which reminders and the flap window are measured by; tests set it.
	now func() time.Time
}

// NewAlerter returns an alerter that opens its transactions on db and publishes notices through pub,
// and, if pub publishes runs too (the Outbox does), the runs that settled runs call for.
func NewAlerter(db TxBeginner, q *sqlcgen.Queries, pub NoticePublisher, logger *slog.Logger) *Alerter {
	runs, _ := pub.(RunPublisher)
	return &Alerter{db: db, q: q, pub: pub, logger: logger, runs: runs, now: time.Now}
}

// clock is the time the alert step goes by.
func (a *Alerter) clock() time.Time {
	if a.now == nil {
		return time.Now()
	}
	return a.now()
}

// Settled is a run that has come to a status nothing follows: completed, permanently failed, or
// missed. Anything but completed counts as a failure.
type Settled struct {
	JobID, RunID int64
	JobName      string
	Status       runstatus.Status
	Error        string
	ScheduledAt  time.Time
}

// Step counts settled runs and moves their jobs' alert states on, through q, which must be the
// transaction that records the runs: one statement for the counts and one for the states of all of
// them, so that a batch of results costs the same few statements as one. The runs of one job are
// taken in the order of their ids. It returns the ids of the notices it made, for the caller to
// publish once the transaction has committed. Whatever records a missed run calls it too.
func (a *Alerter) Step(ctx context.Context, q *sqlcgen.Queries, runs ...Settled) ([]int64, error) {
	// A skipped or cancelled run is neither a success nor a failure: it moves no alert state.
	runs = slices.DeleteFunc(slices.Clone(runs), func(s Settled) bool {
		return s.Status == runstatus.Skipped || s.Status == runstatus.Cancelled
	})
	if len(runs) == 0 {
		return nil, nil
	}
	slices.SortFunc(runs, settledOrder)
	var counts sqlcgen.JobStatsAddParams
	var failedJobs []int64
	for i, s := range runs {
		if i == 0 || s.JobID != runs[i-1].JobID {
			counts.JobIds, counts.Completed, counts.Failed = append(counts.JobIds, s.JobID), append(counts.Completed, 0), append(counts.Failed, 0)
		}
		last := len(counts.JobIds) - 1
		if s.Status == runstatus.Completed {
			counts.Completed[last]++
			continue
		}
		counts.Failed[last]++
		if len(failedJobs) == 0 || failedJobs[len(failedJobs)-1] != s.JobID {
			failedJobs = append(failedJobs, s.JobID)
		}
	}
	if err := q.JobStatsAdd(ctx, counts); err != nil {
		return nil, fmt.Errorf("count %d settled runs: %w", len(runs), err)
	}
	// A job that fails for the first time gets a row; one that never failed has nothing to recover from.
	if len(failedJobs) > 0 {
		if err := q.JobAlertStateInit(ctx, failedJobs); err != nil {
			return nil, fmt.Errorf("start alert state of %d jobs: %w", len(failedJobs), err)
		}
	}
	rows, err := q.JobAlertStateLock(ctx, counts.JobIds)
	if err != nil {
		return nil, fmt.Errorf("lock alert state of %d jobs: %w", len(counts.JobIds), err)
	}
	var notices []int64
	for _, row := range rows {
		first, _ := slices.BinarySearchFunc(runs, row.JobID, func(s Settled, id int64) int { return cmp.Compare(s.JobID, id) })
		end := first
		for end < len(runs) && runs[end].JobID == row.JobID {
			end++
		}
		made, err := a.stepJob(ctx, q, row, runs[first:end])
		if err != nil {
			return nil, err
		}
		notices = append(notices, made...)
	}
	return notices, nil
}

// settledOrder orders settled runs by job, then by run: the order their rows are written in.
func settledOrder(x, y Settled) int {
	return cmp.Or(cmp.Compare(x.JobID, y.JobID), cmp.Compare(x.RunID, y.RunID))
}

// stepJob moves one job's alert state on by its settled runs, in order, makes the notices they
// call for and stores where the job ends up.
func (a *Alerter) stepJob(ctx context.Context, q *sqlcgen.Queries, row sqlcgen.JobAlertStateLockRow, runs []Settled) ([]int64, error) {
	was := stateOf(row)
	rules := rulesOf(row)
	now := was
	untold := row.Untold > 0
	at := a.clock()
	var notices []int64
	for _, s := range runs {
		before := now
		var event string
		now, event = decide(now, rules, s.Status != runstatus.Completed, at)
		reminder := int32(0)
		if event == notify.Failing {
			reminder = now.reminders // a reminder goes to every channel, the untold ones too
			untold = untold && reminder == 0
		}
		// A job that was failing before channels were added to it tells them with its next failure,
		// once: the failing notice is made again, and its key lets only the untold channels get one.
		if event == "" && untold && now.failing && before.failing {
			event, untold = notify.Failing, false
		}
		if s.Status == runstatus.PermanentlyFailed && row.PauseAfterFailures > 0 && now.failures >= row.PauseAfterFailures {
			made, err := a.pauseJob(ctx, q, s, now, row)
			if err != nil {
				return nil, err
			}
			notices = append(notices, made...)
		}
		if event == "" || row.Channels == 0 || !alertsOn(row.AlertOn, event) {
			continue
		}
		made, err := a.makeNotices(ctx, q, s, notice{event: event, state: now, failures: before.failures, reminder: reminder, rules: rules, at: at})
		if err != nil {
			return nil, err
		}
		notices = append(notices, made...)
	}
	if now == was {
		return notices, nil
	}
	err := q.JobAlertStateSet(ctx, now.setParams(row.JobID))
	if err != nil {
		return nil, fmt.Errorf("set alert state of job %d: %w", row.JobID, err)
	}
	return notices, nil
}

// notice is what makeNotices needs to say: the event, where the job stands, its failures before
// the run, the reminder's number (0 for none) and the rules that made it.
type notice struct {
	event    string
	state    alertState
	failures int32
	reminder int32
	rules    alertRules
	at       time.Time
}

// rowEvent is the notice rows' event: a reminder's is job.failing.reminder.N, so that the
// notices' key (channel, job, episode, event) holds each reminder once, as the previous release's
// queries know that key (migration 00017). What the channel is sent says job.failing and N.
func (n notice) rowEvent() string {
	if n.reminder > 0 {
		return fmt.Sprintf("%s.reminder.%d", n.event, n.reminder)
	}
	return n.event
}

// makeNotices stores one notice of n's event per channel of the job.
func (a *Alerter) makeNotices(ctx context.Context, q *sqlcgen.Queries, s Settled, n notice) ([]int64, error) {
	failures := n.failures
	var repeat string
	if n.event == notify.Failing || n.event == notify.Paused {
		failures = n.state.failures
		if n.event == notify.Failing && n.rules.repeat > 0 {
			repeat = words.Duration(n.rules.repeat)
		}
	}
	details, err := json.Marshal(notify.Event{
		Event: n.event, Job: &notify.EventJob{ID: s.JobID, Name: s.JobName}, ConsecutiveFailures: failures,
		Run: &notify.EventRun{ID: s.RunID, Status: string(s.Status), Error: s.Error, ScheduledAt: s.ScheduledAt},
		At:  n.at.UTC(), Episode: n.state.episode, Reminder: n.reminder, Repeat: repeat,
	})
	if err != nil {
		return nil, fmt.Errorf("encode notice: %w", err)
	}
	ids, err := q.NoticeInsertForJob(ctx, sqlcgen.NoticeInsertForJobParams{JobID: s.JobID, RunID: &s.RunID, Event: n.rowEvent(),
		Episode: n.state.episode, ConsecutiveFailures: failures, Details: details, Reminder: n.reminder})
	if err != nil {
		return nil, fmt.Errorf("make %s notices of job %d: %w", n.event, s.JobID, err)
	}
	return ids, nil
}
