package task

import (
	"encoding/json"
	"net/url"
)

// Mask returns a payload fit to be listed: each of the type's secret fields is masked (a Slack
// webhook URL keeps only its host, since its path is the secret; user-info, query values and path
// segments that look like tokens are masked in other URLs). Lists show this; a single job's own
// page or GET keeps the real payload, so that it can be edited.
func Mask(taskType string, payload json.RawMessage) json.RawMessage {
	t, ok := registry[taskType]
	if !ok || (len(t.MaskedFields) == 0 && t.MaskFieldsFunc == nil) {
		return payload
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil {
		return payload
	}
	for key, redact := range t.MaskedFields {
		var s string
		if raw, ok := fields[key]; ok && json.Unmarshal(raw, &s) == nil {
			fields[key], _ = json.Marshal(redact(s))
		}
	}
	if t.MaskFieldsFunc != nil {
		t.MaskFieldsFunc(fields)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return payload
	}
	return out
}

// RedactURL returns rawURL fit for a list, an error message or a log: its user-info, query values
// and path segments that look like tokens are masked, and a URL that does not parse is not
// repeated at all, since it cannot be masked.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if len(vs) != 1 || !onlyPlaceholders(vs[0]) {
				q.Set(k, redacted)
			}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment = ""
	redactUserinfo(u)
	redactPath(u)
	return u.String()
}

// RedactURLPath is RedactURL for URLs whose path is itself the secret, such as Slack's incoming
// webhooks: only the scheme and host are shown.
func RedactURLPath(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + "/" + redacted
}

// hostOf is the host a URL points at, to name a job after it; a URL without one is shown whole.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
