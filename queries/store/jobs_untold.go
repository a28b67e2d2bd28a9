package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cronflow/cronflow/queries/store/words"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/notify"
)

// NoticePublisher publishes stored notices once the change that made them has committed; the
// worker's Outbox is one. A notice it could not publish is published by the Reaper.
type NoticePublisher interface {
	PublishNotices(ctx context.Context, ids []int64)
}

// tellUntold makes, in a change's transaction, the failing notice of each of these jobs that is
// failing now for its channels that have not had it this episode: channels added while it failed
// (issue 22). The notice is the one the Alerter made when the job started failing, about its
// newest failed run, and the notices' key (channel, job, episode, event, reminder) makes it once
// per channel, whoever makes it first, this change or the job's next failed run. It returns the
// notices made, to publish after commit.
func tellUntold(ctx context.Context, q *sqlcgen.Queries, jobIDs []int64) ([]int64, error) {
	rows, err := q.JobAlertUntold(ctx, jobIDs)
	if err != nil {
		return nil, fmt.Errorf("find failing jobs' untold channels: %w", err)
	}
	var made []int64
	for _, r := range rows {
		var repeat string
		if r.AlertRepeatMs > 0 {
			repeat = words.Duration(time.Duration(r.AlertRepeatMs) * time.Millisecond)
		}
		details, err := json.Marshal(notify.Event{
			Event: notify.Failing, Job: &notify.EventJob{ID: r.JobID, Name: r.JobName}, ConsecutiveFailures: r.ConsecutiveFailures,
			Run: &notify.EventRun{ID: r.RunID, Status: string(r.RunStatus), Error: r.RunError, ScheduledAt: r.RunScheduledAt},
			At:  time.Now().UTC(), Episode: r.Episode, Repeat: repeat,
		})
		if err != nil {
			return nil, fmt.Errorf("encode notice: %w", err)
		}
		ids, err := q.NoticeInsertForJob(ctx, sqlcgen.NoticeInsertForJobParams{JobID: r.JobID, RunID: &r.RunID, Event: notify.Failing,
			Episode: r.Episode, ConsecutiveFailures: r.ConsecutiveFailures, Details: details})
		if err != nil {
			return nil, fmt.Errorf("make failing notices of job %d: %w", r.JobID, err)
		}
		made = append(made, ids...)
	}
	return made, nil
}

// publishNotices publishes the notices a committed change made, when the store has a publisher;
// without one (the CLI) the Reaper publishes them within seconds.
func (s *Store) publishNotices(ctx context.Context, ids []int64) {
	if len(ids) > 0 && s.Notices != nil {
		s.Notices.PublishNotices(ctx, ids)
	}
}
