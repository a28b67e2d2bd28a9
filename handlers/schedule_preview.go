package handlers

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/worker/schedule"
)

// Bounds of a schedule preview.
const (
	previewDefault = 10
	previewMax     = 100
)

// previewRuns are the next count slots after from of a job's schedule as the scheduler follows it
// (store.JobInput.ValidSchedule, then schedule.Job's Next), or the problems by field. The API's
// preview and the job form's live check both answer from it, so neither can disagree with the
// scheduler.
func previewRuns(in store.JobInput, jobID int64, from time.Time, count int) ([]time.Time, map[string]string) {
	sched, problems := in.ValidSchedule(jobID, from)
	if len(problems) > 0 {
		return nil, problems
	}
	runs := schedule.NextRuns(sched, from, count)
	for i := range runs {
		runs[i] = runs[i].UTC()
	}
	return runs, nil
}

// handleAPISchedulePreview serves GET /api/schedule/preview?cron=&timezone=&from=&count=&jitter=&job_id=:
// the next count (1 to 100, default 10) slots after from (RFC 3339, default now), as
// {"runs": [...]}. job_id chooses the values of H tokens and the jitter offset as that job's id
// does; without it they are those of a job not stored yet. Bad input is a 422 naming the parameter.
func handleAPISchedulePreview() echo.HandlerFunc {
	return func(c echo.Context) error {
		problems := map[string]string{}
		from := time.Now()
		if v := c.QueryParam("from"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				problems["from"] = "must be an RFC 3339 time such as 2027-01-02T03:04:05Z"
			}
			from = t
		}
		count := previewDefault
		if v := c.QueryParam("count"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > previewMax {
				problems["count"] = "must be a whole number from 1 to 100"
			}
			count = n
		}
		var jobID int64
		if v := c.QueryParam("job_id"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				problems["job_id"] = "must be a job id"
			}
			jobID = id
		}
		in := store.JobInput{Cron: c.QueryParam("cron"), Timezone: c.QueryParam("timezone")}
		if v := c.QueryParam("jitter"); v != "" {
			in.Jitter, _ = json.Marshal(v)
		}
		runs, scheduleProblems := previewRuns(in, jobID, from, max(count, 1))
		maps.Copy(problems, scheduleProblems)
		if len(problems) > 0 {
			return badQuery(c, problems)
		}
		return c.JSON(http.StatusOK, map[string][]time.Time{"runs": runs})
	}
}
