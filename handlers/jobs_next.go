package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/runmsg"
)

// A job's next runs and its backfill (issue 27).

// jobNextShown is how many of its next runs a job's page lists.
const jobNextShown = 10

// jobNextRuns are a paused or unscheduled job's no runs, or an active job's next slots as the
// scheduler will follow them (its own schedule, from package schedule), each in UTC, in the job's
// zone, and marked when a blackout will skip it.
func jobNextRuns(j sqlcgen.Job, now time.Time) []views.NextRunRow {
	if j.Paused || j.Cron == "" {
		return nil
	}
	sched, err := store.JobSchedule(j)
	if err != nil {
		return nil
	}
	loc, blackouts := zone(j.Timezone), store.JobBlackouts(j)
	var out []views.NextRunRow
	for t := sched.Next(now); !t.IsZero() && len(out) < jobNextShown; t = sched.Next(t) {
		at := t.UTC()
		out = append(out, views.NextRunRow{At: views.NewMoment(&at, now, nil), JobZone: views.ShortExact(at, loc),
			UTC: views.ShortExact(at, time.UTC), Blackout: inBlackout(blackouts, at)})
	}
	return out
}

// backfillLayout is how the backfill form's datetime-local fields write a time.
const backfillLayout = "2006-01-02T15:04"

// handleJobBackfillPage serves GET /jobs/{id}/backfill?from=&to=: the backfill form, its times in
// the job's zone, and once both are given a preview of what a backfill would do. Nothing is made
// here: only the form's confirmation (POST) makes runs.
func handleJobBackfillPage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := pathJob(c, q)
		if err != nil {
			return err
		}
		b, err := backfillPreview(c, q, job)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if len(b.Problems) > 0 {
			status = http.StatusUnprocessableEntity
		}
		return render(c, status, views.BackfillPage(newPage(c, "Backfill "+job.Name, "jobs"), b))
	}
}

// backfillPreview reads the form's window in the job's zone and, when it is whole, counts the slots
// it holds and those that already have a run (store.BackfillSlots: the backfill's own slots).
func backfillPreview(c echo.Context, q *sqlcgen.Queries, job sqlcgen.Job) (views.Backfill, error) {
	loc := zone(job.Timezone)
	b := views.Backfill{JobID: job.ID, JobName: job.Name, Timezone: job.Timezone, Cap: store.MaxBackfill,
		From: strings.TrimSpace(c.QueryParam("from")), To: strings.TrimSpace(c.QueryParam("to")), Problems: map[string]string{}}
	if b.From == "" && b.To == "" {
		return b, nil
	}
	from := backfillTime(b.Problems, "from", b.From, loc)
	to := backfillTime(b.Problems, "to", b.To, loc)
	if len(b.Problems) > 0 {
		return b, nil
	}
	slots, problems := store.BackfillSlots(job, from, to)
	if len(problems) > 0 {
		b.Problems = problems
		return b, nil
	}
	existing, err := q.RunCountAtSlots(c.Request().Context(), sqlcgen.RunCountAtSlotsParams{JobID: job.ID, Slots: slots})
	if err != nil {
		return b, fmt.Errorf("count runs of job %d in the backfill's window: %w", job.ID, err)
	}
	b.Previewed, b.Slots, b.Existing = true, int64(len(slots)), existing
	b.FromUTC, b.ToUTC = from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)
	if len(slots) > 0 {
		b.First, b.Last = views.ShortExact(slots[0], loc), views.ShortExact(slots[len(slots)-1], loc)
	}
	return b, nil
}

// backfillTime reads one of the form's times, in the job's zone.
func backfillTime(problems map[string]string, field, v string, loc *time.Location) time.Time {
	if v == "" {
		problems[field] = "is required: a date and time such as 2026-12-01T00:00"
		return time.Time{}
	}
	t, err := time.ParseInLocation(backfillLayout, v, loc)
	if err != nil {
		problems[field] = "must be a date and time such as 2026-12-01T00:00"
	}
	return t
}

// handleJobBackfill serves POST /jobs/{id}/backfill from the backfill preview's confirmation:
// from and to in RFC 3339, as the preview computed them. It makes the runs, publishes them, and
// goes to the job's runs with a message saying how many.
func handleJobBackfill(st *store.Store, pub RunPublisher) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		from, errFrom := time.Parse(time.RFC3339, c.FormValue("from"))
		to, errTo := time.Parse(time.RFC3339, c.FormValue("to"))
		if errFrom != nil || errTo != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "Nothing was backfilled: from and to must be RFC 3339 times; preview the backfill again.")
		}
		ctx := c.Request().Context()
		done, err := st.Backfill(ctx, auditActor(c), id, from, to)
		var pe *store.ProblemsError
		if errors.As(err, &pe) {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "Nothing was backfilled: "+problemsText(pe.Problems))
		}
		if err != nil {
			return err
		}
		msgs := make([]runmsg.Message, len(done.Created))
		for i, r := range done.Created {
			msgs[i] = runmsg.Message{RunID: r.ID, JobID: r.JobID}
		}
		pub.Publish(ctx, msgs)
		msg := fmt.Sprintf("Backfill made %s.", views.Count(int64(len(done.Created)), "run", "runs"))
		if done.Existing > 0 {
			msg += fmt.Sprintf(" %s already had a run and kept it.", views.Count(int64(done.Existing), "slot", "slots"))
		}
		return redirectAfter(c, fmt.Sprintf("/runs?job_id=%d", id), msg)
	}
}
