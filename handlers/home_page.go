package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// failuresShown is how many recent failures the home page lists.
const failuresShown = 8

// handleHomePage serves GET /?tag=, what an operator looks at first: the totals, the last 24 hours,
// what runs now and in the next 24 hours, and the latest failures; a tag narrows the lists to the
// jobs that have it (issue 27).
func handleHomePage(q *sqlcgen.Queries, stats *statsCache) echo.HandlerFunc {
	return func(c echo.Context) error {
		tag, err := homeTag(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		s, err := homeStats(ctx, q, stats, tag)
		if err != nil {
			return err
		}
		tags, err := tagChoices(ctx, q, tag)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.HomePage(newPage(c, "Dashboard", "home"), s, tags))
	}
}

// handleHomeStats serves GET /home/stats?tag=, the home page's content, which it polls every 5 s.
func handleHomeStats(q *sqlcgen.Queries, stats *statsCache) echo.HandlerFunc {
	return func(c echo.Context) error {
		tag, err := homeTag(c)
		if err != nil {
			return err
		}
		s, err := homeStats(c.Request().Context(), q, stats, tag)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.HomeStatsPanel(s))
	}
}

// homeTag reads the home page's tag filter. A tag no job has, or one that could not be a tag, is
// kept as it is and simply matches nothing, so a bookmark outlives its tag; only one too long to be
// a tag at all is refused.
func homeTag(c echo.Context) (string, error) {
	tag := strings.TrimSpace(c.QueryParam("tag"))
	if len(tag) > store.MaxTagLength {
		return "", echo.NewHTTPError(http.StatusBadRequest,
			fmt.Sprintf("The tag filter (tag) is longer than %d characters, so it cannot be a tag.", store.MaxTagLength))
	}
	return tag, nil
}

// homeStats gathers the home page: the counts from the cache, the lists fresh (each is a short walk
// of an index), narrowed to the jobs with tag if one is given. The counts stay for all jobs.
func homeStats(ctx context.Context, q *sqlcgen.Queries, stats *statsCache, tag string) (views.HomeStats, error) {
	counts, err := stats.get(ctx)
	if err != nil {
		return views.HomeStats{}, err
	}
	now := time.Now()
	s := views.HomeStats{
		Tag:       tag,
		Totals:    counts.totals,
		CountedAt: views.NewMoment(&counts.at, now, nil),
		Chart:     views.NewChart(counts.hourStart, counts.completed, counts.failed),
	}
	filter := nonEmpty(tag)
	if s.Running, s.RunningMore, err = runningNow(ctx, q, now, filter); err != nil {
		return s, err
	}
	if s.Next, err = nextDay(ctx, q, now, filter); err != nil {
		return s, err
	}
	if s.FailingJobs, s.FailingTotal, err = failingNow(ctx, q, now, filter, failingShown); err != nil {
		return s, err
	}
	s.FailingAll = s.FailingTotal
	if tag != "" {
		// The totals are for all jobs, "Jobs failing now" too: one row is enough to count them.
		if _, s.FailingAll, err = failingNow(ctx, q, now, nil, 1); err != nil {
			return s, err
		}
	}
	failures, err := q.RunListRecentFailures(ctx, sqlcgen.RunListRecentFailuresParams{Tag: filter, MaxRows: failuresShown})
	if err != nil {
		return s, fmt.Errorf("list recent failures: %w", err)
	}
	for _, f := range failures {
		when := f.CompletedAt
		if when == nil {
			when = &f.ScheduledAt
		}
		s.Failures = append(s.Failures, views.FailureRow{
			RunID: f.ID, JobID: f.JobID, JobName: f.JobName, Status: f.Status,
			When: views.NewMoment(when, now, nil), RetryAt: views.NewMoment(f.NextAttemptAt, now, nil),
			Error: clip(views.ErrorWords(f.Error), 160),
		})
	}
	return s, nil
}

// statsTTL is how old the home page's counts may get before they are counted again, and staleWait
// how long a request waits for a count in progress before it takes the older counts instead.
const (
	statsTTL  = 5 * time.Second
	staleWait = 20 * time.Millisecond
)

// homeCounts are the numbers that take counting every run: the totals and the chart's hours.
type homeCounts struct {
	totals            views.Totals
	hourStart         time.Time // the chart's first hour
	completed, failed [24]int64
	at                time.Time
}

// statsCache keeps the home page's counts so that no page or poll waits for them: the totals are
// counters (run_counts), but the chart's hours count the last day's runs, which takes a while when
// thousands run every minute. Counts older than statsTTL start one fresh
// count in the background, however many requests ask at once, and are served as they are if the
// count takes longer than staleWait. Only the very first request waits for a whole count.
type statsCache struct {
	q      *sqlcgen.Queries
	logger *slog.Logger

	mu      sync.Mutex
	counts  *homeCounts
	err     error
	running chan struct{} // closed when the count in progress ends; nil when none runs
}

func newStatsCache(q *sqlcgen.Queries, logger *slog.Logger) *statsCache {
	return &statsCache{q: q, logger: logger}
}

// get returns the latest counts, starting a new count if they are stale.
func (s *statsCache) get(ctx context.Context) (homeCounts, error) {
	s.mu.Lock()
	if s.counts != nil && time.Since(s.counts.at) < statsTTL {
		defer s.mu.Unlock()
		return *s.counts, nil
	}
	done := s.running
	if done == nil {
		done = make(chan struct{})
		s.running = done
		go s.refresh(context.WithoutCancel(ctx), done)
	}
	stale := s.counts
	s.mu.Unlock()
	var timeout <-chan time.Time
	if stale != nil {
		// A small database counts in a few milliseconds: worth a short wait for fresh numbers.
		t := time.NewTimer(staleWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-done:
	case <-timeout:
		return *stale, nil
	case <-ctx.Done():
		return homeCounts{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		return homeCounts{}, s.err
	}
	return *s.counts, nil
}

// refresh counts and stores the result; a failed count keeps the old counts.
func (s *statsCache) refresh(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	counts, err := countHome(ctx, s.q, time.Now())
	s.mu.Lock()
	if err == nil {
		s.counts = &counts
	} else {
		s.logger.Error("Counting runs for the dashboard failed", "error", err)
	}
	s.err, s.running = err, nil
	s.mu.Unlock()
	close(done)
}

// countHome counts jobs, runs by status, and the last 24 hours of runs by hour.
func countHome(ctx context.Context, q *sqlcgen.Queries, now time.Time) (homeCounts, error) {
	c := homeCounts{at: now, hourStart: now.UTC().Truncate(time.Hour).Add(-23 * time.Hour)}
	var err error
	if c.totals.AllJobs, err = q.JobCount(ctx); err != nil {
		return c, fmt.Errorf("count jobs: %w", err)
	}
	if c.totals.Jobs, err = q.JobCountScheduled(ctx); err != nil {
		return c, fmt.Errorf("count scheduled jobs: %w", err)
	}
	byStatus, err := q.RunCountByStatus(ctx)
	if err != nil {
		return c, fmt.Errorf("count runs by status: %w", err)
	}
	for _, row := range byStatus {
		switch row.Status {
		case runstatus.Completed:
			c.totals.Completed = row.Runs
		case runstatus.PermanentlyFailed:
			c.totals.Failed = row.Runs
		case runstatus.Failed:
			c.totals.Retrying = row.Runs
		case runstatus.Missed:
			c.totals.Missed = row.Runs
		case runstatus.Skipped:
			c.totals.Skipped = row.Runs
		case runstatus.Cancelled:
			c.totals.Cancelled = row.Runs
		}
	}
	hourly, err := q.RunCountHourly(ctx, c.hourStart)
	if err != nil {
		return c, fmt.Errorf("count runs by hour: %w", err)
	}
	first := c.hourStart.Unix() / 3600
	for _, row := range hourly {
		i := row.Hour - first
		if i < 0 || i >= 24 {
			continue
		}
		if row.Status == runstatus.Completed {
			c.completed[i] += row.Runs
		} else {
			c.failed[i] += row.Runs
		}
	}
	return c, nil
}
