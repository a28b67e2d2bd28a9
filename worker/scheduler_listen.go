package worker

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/cronflow/cronflow/sqlcgen"
)

// listenCheckEvery is how long a quiet listening connection waits before it makes sure it is still
// on the primary: one left on a demoted primary would hear no change made on the new one.
const listenCheckEvery = 5 * time.Second

// keepListening passes the id of every changed job on to changed until ctx is done, over a
// listening connection of its own, and closes listening once it first listens: the scheduler reads
// the jobs only then, so that a change made during that read is heard. When the connection breaks
// (a database outage, a failover) it listens again, with backoff, and asks for a full resync,
// since changes made meanwhile were not heard.
func (s *Scheduler) keepListening(ctx context.Context, changed chan<- int64, listening chan<- struct{}) {
	backoff := retry.WithCappedDuration(5*time.Second, retry.NewExponential(250*time.Millisecond))
	first := true
	_ = retry.Do(ctx, backoff, func(ctx context.Context) error {
		err := s.listen(ctx, changed, func() {
			if first {
				first = false
				close(listening)
				return
			}
			select {
			case changed <- allJobs: // what changed while nobody listened
			case <-ctx.Done():
			}
		})
		if ctx.Err() != nil {
			return nil
		}
		s.logger.Warn("Listening for job changes failed; listening again", "error", err)
		return retry.RetryableError(err)
	})
}

// listen listens on a new connection until it fails or ctx is done, and returns why it stopped;
// once the LISTEN has taken effect it calls listened. The connection is closed afterwards, not
// pooled: it would go on receiving notifications.
func (s *Scheduler) listen(ctx context.Context, changed chan<- int64, listened func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}()
	if err := sqlcgen.New(conn).JobListen(ctx); err != nil {
		return err
	}
	listened()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheckEvery)
		n, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			if err := checkWritable(ctx, conn); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			id = allJobs // '*', or anything else that is not one job
		}
		select {
		case changed <- id:
		case <-ctx.Done():
		}
	}
}
