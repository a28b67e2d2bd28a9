package notify

import (
	"net/http"

	"github.com/cronflow/cronflow/worker/task"
)

// Limits of Opsgenie's alert fields, in characters.
const (
	maxOpsgenieMessage     = 130
	maxOpsgenieDescription = 15000
)

// An opsgenie channel speaks the Alert API: a failing job creates an alert whose alias names its
// failing episode, and its recovery closes that alert by the alias. Any other notice creates an
// alert of its own.
func init() {
	registerKind(kind{
		name: "opsgenie", label: "Opsgenie", order: 10,
		settings: []setting{
			{key: "api_key", label: "API key", secret: true, hint: "The key of an API integration; masked in lists."},
			{key: "api_url", label: "API URL", url: true, def: "https://api.opsgenie.com",
				hint: "https://api.opsgenie.com (or https://api.eu.opsgenie.com for an EU account)."},
		},
		request: opsgenieRequest,
		summary: func(c settings) string { return "Opsgenie via " + c["api_url"] },
	})
}

// opsgenieRequest creates an alert, or closes the episode's alert for a recovered job.
func opsgenieRequest(c settings, e Event, key string) task.Request {
	auth := map[string]string{"Authorization": "GenieKey " + c["api_key"]}
	alias := incidentKey(e, key)
	if e.Event == Recovered {
		return jsonRequest(http.MethodPost, endpoint(c["api_url"], "v2", "alerts", alias, "close")+"?identifierType=alias",
			map[string]any{"source": "Cronflow", "note": task.Clip(Text(e), 25000)}, auth)
	}
	priority := map[string]string{Failing: "P2", Test: "P5"}[e.Event]
	if priority == "" {
		priority = "P3"
	}
	details := map[string]string{"event": e.Event}
	if e.Job != nil {
		details["job"], details["job_url"] = e.Job.Name, e.Job.URL
	}
	if link := runURL(e); link != "" {
		details["run_url"] = link
	}
	return jsonRequest(http.MethodPost, endpoint(c["api_url"], "v2", "alerts"), map[string]any{
		"message": task.Clip(Subject(e), maxOpsgenieMessage-1), "alias": alias, "description": task.Clip(Text(e), maxOpsgenieDescription-1),
		"source": "Cronflow", "priority": priority, "tags": []string{"cronflow"}, "details": details,
	}, auth)
}
