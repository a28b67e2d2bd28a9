package notify

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

// alertmanagerOpen is how long an alert of a notice that nothing resolves (a test, a skipped
// slot) stays firing.
const alertmanagerOpen = time.Hour

// An alertmanager channel posts each notice to Alertmanager's API v2 as one alert labelled
// alertname, job and severity. A failing job's alert fires until its recovery posts the same
// labels again with endsAt, which resolves it.
func init() {
	registerKind(kind{
		name: "alertmanager", label: "Alertmanager", order: 15,
		settings: []setting{{key: "url", label: "Alertmanager URL", url: true,
			hint: "Alertmanager's base URL, such as https://alertmanager.example.com:9093; user and password may be given in it."}},
		request: func(c settings, e Event, _ string) task.Request {
			return jsonRequest(http.MethodPost, endpoint(c["url"], "api", "v2", "alerts"), []any{alertmanagerAlert(e)}, nil)
		},
		summary: func(c settings) string { return "Alertmanager at " + c["url"] },
	})
}

// alertmanagerAlert is a notice as an alert. Its labels are the same for a failing job and its
// recovery: the recovery's severity is the failing one's, or Alertmanager would not match them.
func alertmanagerAlert(e Event) map[string]any {
	name, sev, job := "Cronflow"+strings.ReplaceAll(eventTitle(e.Event), " ", ""), severity(e), "cronflow"
	if e.Event == Failing || e.Event == Recovered {
		name, sev = "CronflowJobFailing", "error"
	}
	labels := map[string]string{"alertname": name, "severity": sev, "job": job}
	if e.Job != nil {
		labels["job"], labels["job_id"] = oneLine(e.Job.Name), strconv.FormatInt(e.Job.ID, 10)
	}
	alert := map[string]any{"labels": labels,
		"annotations": map[string]string{"summary": Subject(e), "description": Text(e)},
		"startsAt":    e.At.UTC().Format(time.RFC3339)}
	switch e.Event {
	case Recovered:
		alert["endsAt"] = e.At.UTC().Format(time.RFC3339)
		delete(alert, "startsAt")
	case Failing:
	default:
		alert["endsAt"] = e.At.Add(alertmanagerOpen).UTC().Format(time.RFC3339)
	}
	if link := runURL(e); link != "" {
		alert["generatorURL"] = link
	}
	return alert
}
