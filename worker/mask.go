package worker

import "encoding/json"

// MaskPayload returns a payload fit to be listed: a Slack webhook URL keeps only its host (its path
// is the secret), and passwords and query values in URLs are masked. Lists show this; a single job's
// own page or GET keeps the real payload, so that it can be edited.
func MaskPayload(taskType string, payload json.RawMessage) json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil {
		return payload
	}
	mask := func(key string, redact func(string) string) {
		var s string
		if raw, ok := fields[key]; ok && json.Unmarshal(raw, &s) == nil {
			fields[key], _ = json.Marshal(redact(s))
		}
	}
	switch taskType {
	case "ping", "webhook":
		mask("url", RedactURL)
	case "slack":
		mask("webhook_url", RedactURLPath)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return payload
	}
	return out
}
