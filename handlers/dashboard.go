package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// handleHomePage serves GET /, the totals an operator looks at first.
func handleHomePage(q *sqlcgen.Queries) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		jobs, err := q.JobCount(ctx)
		if err != nil {
			return err
		}
		counts, err := q.RunCountByStatus(ctx)
		if err != nil {
			return err
		}
		totals := views.Totals{Jobs: jobs}
		for _, row := range counts {
			switch row.Status {
			case "completed":
				totals.Completed = row.Runs
			case "failed", "permanently_failed":
				totals.Failed += row.Runs
			}
		}
		return render(c, http.StatusOK, views.HomePage(totals))
	}
}
