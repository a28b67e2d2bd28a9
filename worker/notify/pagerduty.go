package notify

import (
	"net/http"
	"time"

	"github.com/cronflow/cronflow/worker/task"
)

// maxPagerDutySummary is the longest payload.summary the Events API keeps, in characters.
const maxPagerDutySummary = 1024

// A pagerduty channel speaks the Events API v2: a failing job triggers an alert and its recovery
// resolves it, both with one dedup_key per failing episode, so that an episode opens one incident
// and closes it. Any other notice triggers an alert of its own.
func init() {
	registerKind(kind{
		name: "pagerduty", label: "PagerDuty", order: 9,
		settings: []setting{
			{key: "routing_key", label: "Integration key", secret: true,
				hint: "The routing key of an Events API v2 integration of a PagerDuty service; masked in lists."},
			{key: "api_url", label: "Events API URL", url: true, def: "https://events.pagerduty.com",
				hint: "https://events.pagerduty.com (or https://events.eu.pagerduty.com for an EU account)."},
		},
		request: func(c settings, e Event, key string) task.Request {
			return jsonRequest(http.MethodPost, endpoint(c["api_url"], "v2", "enqueue"), pagerDutyEvent(c, e, key), nil)
		},
		summary: func(c settings) string { return "PagerDuty via " + c["api_url"] },
	})
}

// pagerDutyEvent is the Events API v2 event of a notice: resolve for a recovered job, else trigger.
func pagerDutyEvent(c settings, e Event, key string) map[string]any {
	out := map[string]any{"routing_key": c["routing_key"], "dedup_key": incidentKey(e, key), "event_action": "trigger"}
	if e.Event == Recovered {
		out["event_action"] = "resolve"
		return out
	}
	source := "cronflow"
	details := map[string]any{"event": e.Event, "consecutive_failures": e.ConsecutiveFailures}
	if e.Job != nil {
		source = e.Job.URL
		details["job"] = e.Job.Name
	}
	if e.Run != nil {
		details["run_id"], details["run_status"], details["error"] = e.Run.ID, e.Run.Status, e.Run.Error
	}
	out["payload"] = map[string]any{
		"summary": task.Clip(Subject(e), maxPagerDutySummary-1), "source": source, "severity": severity(e),
		"timestamp": e.At.UTC().Format(time.RFC3339), "component": "cronflow", "custom_details": details,
	}
	out["client"] = "Cronflow"
	if link := runURL(e); link != "" {
		out["client_url"] = link
		out["links"] = []any{map[string]any{"href": link, "text": "Open in Cronflow"}}
	}
	return out
}
